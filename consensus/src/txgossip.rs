//! Transaction gossip between validators: a transaction any validator accepts into its pool
//! reaches the others' pools, so whichever validator a wallet sent it to, the scheduled
//! producer has it. One libp2p gossipsub swarm per validator (the engines' swarms carry no
//! transactions), one topic per domain; transactions travel in small batches, and a
//! transaction that arrived by gossip is not sent on again by this node (gossipsub relays it
//! to the rest of the mesh itself).

use std::{collections::HashSet, sync::Arc, time::Duration};

use alloy_primitives::{B256, Bytes, keccak256};
use futures_util::StreamExt;
use libp2p::{
    Multiaddr, Swarm,
    core::ConnectedPoint,
    gossipsub, noise,
    swarm::{SwarmEvent, dial_opts::DialOpts},
    tcp, yamux,
};
use sec_sequencer::{ChainEvent, Domain};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Most transactions in one gossip message.
const BATCH: usize = 256;
/// How long a batch waits to fill.
const BATCH_WAIT: Duration = Duration::from_millis(20);
/// Hashes remembered as gossiped, before the memory is cleared.
const SEEN: usize = 200_000;

/// Why the gossip swarm could not start.
#[derive(Debug, thiserror::Error)]
#[error("transaction gossip: {0}")]
pub struct GossipError(String);

fn topic(chain_id_base: u64, domain: u32) -> gossipsub::IdentTopic {
    gossipsub::IdentTopic::new(format!("/sec/{chain_id_base}/txs/{domain}"))
}

/// The running gossip of one validator.
pub struct TxGossip {
    task: tokio::task::JoinHandle<()>,
}

impl TxGossip {
    /// Listens on `listen`, keeps connections to `peers`, and gossips the transactions of
    /// `domains`.
    pub fn start(
        domains: &[Arc<Domain>],
        listen: Multiaddr,
        peers: Vec<Multiaddr>,
    ) -> Result<Self, GossipError> {
        let err = |e: &dyn std::fmt::Display| GossipError(e.to_string());
        let mut swarm: Swarm<gossipsub::Behaviour> = libp2p::SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
            .map_err(|e| err(&e))?
            .with_behaviour(|key| {
                let config = gossipsub::ConfigBuilder::default()
                    // the same batch is the same message, whoever relays it
                    .message_id_fn(|m| gossipsub::MessageId::from(keccak256(&m.data).to_vec()))
                    .max_transmit_size(4 << 20)
                    .build()
                    .map_err(|e| e.to_string())?;
                gossipsub::Behaviour::new(
                    gossipsub::MessageAuthenticity::Signed(key.clone()),
                    config,
                )
                .map_err(|e| e.to_string().into())
            })
            .map_err(|e| err(&e))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
            .build();
        let base = domains.first().map(|d| d.chain_id() - u64::from(d.id())).unwrap_or_default();
        for d in domains {
            swarm.behaviour_mut().subscribe(&topic(base, d.id())).map_err(|e| err(&e))?;
        }
        swarm.listen_on(listen).map_err(|e| err(&e))?;
        let (out_tx, out_rx) = mpsc::channel::<(u32, Bytes)>(65_536);
        for d in domains {
            tokio::spawn(forward(d.clone(), out_tx.clone()));
        }
        let task = tokio::spawn(run(swarm, domains.to_vec(), peers, base, out_rx));
        Ok(Self { task })
    }

    /// Stops gossiping.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Sends every transaction `domain` accepts to the swarm.
async fn forward(domain: Arc<Domain>, out: mpsc::Sender<(u32, Bytes)>) {
    let mut events = domain.subscribe();
    loop {
        match events.recv().await {
            Ok(ChainEvent::PendingTx(hash)) => {
                let raw = domain.pool().get(&hash).map(|t| t.raw.clone());
                if let Some(raw) = raw
                    && out.send((domain.id(), raw)).await.is_err()
                {
                    return;
                }
            }
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                // the others still get them from the validator's own slot
                warn!(domain = domain.id(), missed = n, "transaction gossip fell behind");
            }
            Err(_) => return,
        }
    }
}

async fn run(
    mut swarm: Swarm<gossipsub::Behaviour>,
    domains: Vec<Arc<Domain>>,
    peers: Vec<Multiaddr>,
    base: u64,
    mut out: mpsc::Receiver<(u32, Bytes)>,
) {
    let mut seen: HashSet<B256> = HashSet::new();
    let mut pending: Vec<Vec<Bytes>> = vec![vec![]; domains.len()];
    let mut flush = tokio::time::interval(BATCH_WAIT);
    let mut redial = tokio::time::interval(Duration::from_secs(2));
    // peers this node dialed and is connected to
    let mut connected: HashSet<Multiaddr> = HashSet::new();
    loop {
        tokio::select! {
            event = swarm.select_next_some() => {
                match &event {
                    SwarmEvent::ConnectionEstablished { endpoint: ConnectedPoint::Dialer { address, .. }, .. } => {
                        connected.insert(address.clone());
                    }
                    SwarmEvent::ConnectionClosed { endpoint: ConnectedPoint::Dialer { address, .. }, .. } => {
                        connected.remove(address);
                    }
                    _ => {}
                }
                if let SwarmEvent::Behaviour(gossipsub::Event::Message { message, .. }) = event {
                    let Some(d) = domains.iter().position(|d| topic(base, d.id()).hash() == message.topic) else {
                        continue;
                    };
                    let Ok(txs) = <Vec<Bytes> as alloy_rlp::Decodable>::decode(&mut message.data.as_slice()) else {
                        debug!("undecodable transaction batch");
                        continue;
                    };
                    if seen.len() > SEEN {
                        seen.clear();
                    }
                    for raw in &txs {
                        seen.insert(keccak256(raw));
                    }
                    let domain = domains[d].clone();
                    tokio::task::spawn_blocking(move || {
                        for raw in txs {
                            // known or refused here: the sender's own validator answered it
                            let _ = domain.submit(raw);
                        }
                    });
                }
            }
            Some((d, raw)) = out.recv() => {
                if seen.insert(keccak256(&raw))
                    && let Some(i) = domains.iter().position(|x| x.id() == d)
                {
                    pending[i].push(raw);
                    if pending[i].len() >= BATCH {
                        publish(&mut swarm, base, domains[i].id(), &mut pending[i]);
                    }
                }
            }
            _ = flush.tick() => {
                for (i, batch) in pending.iter_mut().enumerate() {
                    if !batch.is_empty() {
                        publish(&mut swarm, base, domains[i].id(), batch);
                    }
                }
            }
            _ = redial.tick() => {
                for p in peers.iter().filter(|p| !connected.contains(*p)) {
                    let _ = swarm.dial(DialOpts::unknown_peer_id().address(p.clone()).build());
                }
            }
        }
    }
}

fn publish(
    swarm: &mut Swarm<gossipsub::Behaviour>,
    base: u64,
    domain: u32,
    batch: &mut Vec<Bytes>,
) {
    let data = alloy_rlp::encode(&*batch);
    batch.clear();
    if let Err(e) = swarm.behaviour_mut().publish(topic(base, domain), data) {
        // no peer yet (or all down): the transactions wait for this validator's own slot
        debug!(domain, error = %e, "transaction batch not gossiped");
    }
}
