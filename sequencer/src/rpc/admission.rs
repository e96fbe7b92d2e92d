//! Grouped admission of `eth_sendRawTransaction`.
//!
//! Wallets and exchanges send one transaction per request from many connections at once. Handing
//! each request's signature recovery to the blocking pool and back cost a thread switch or two
//! per transaction (a profile under that load counted about a fifth of the node's time in thread
//! switching, this hand-off's and the journal waits'; BENCHMARKS "Node under real clients").
//! Instead each domain has one admission thread: it takes every request waiting when it
//! wakes, recovers their signers in parallel, and puts them into the pool under one lock, so the
//! switches are paid once per group. A lone request is admitted at once, as before.

use std::sync::{Arc, Weak};

use alloy_primitives::Bytes;
use rayon::prelude::*;
use tokio::sync::{mpsc, oneshot};

use crate::domain::{Domain, SubmitError, Submitted};

use super::error::RpcError;

/// Requests that may wait for the admission thread; a sender past it waits for room.
const QUEUE: usize = 16_384;
/// The most transactions admitted in one group (one hold of the pool's lock).
const MAX_GROUP: usize = 512;

struct Request {
    raw: Bytes,
    reply: oneshot::Sender<Result<Submitted, SubmitError>>,
}

/// A domain's admission queue; its thread ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Admission {
    queue: mpsc::Sender<Request>,
}

impl Admission {
    /// Starts `domain`'s admission thread. It holds the domain weakly, so a stopped node is not
    /// kept open by it.
    pub(super) fn start(domain: &Arc<Domain>) -> std::io::Result<Self> {
        let (queue, requests) = mpsc::channel(QUEUE);
        let weak = Arc::downgrade(domain);
        std::thread::Builder::new()
            .name(format!("admit-{}", domain.id()))
            .spawn(move || run(weak, requests))?;
        Ok(Self { queue })
    }

    /// Admits one raw transaction: its hash and durability, or why it was refused.
    pub(super) async fn submit(&self, raw: Bytes) -> Result<Submitted, RpcError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Request { raw, reply })
            .await
            .map_err(|_| RpcError::Internal("transaction admission has stopped".into()))?;
        Ok(answer
            .await
            .map_err(|_| RpcError::Internal("transaction admission failed".into()))??)
    }
}

fn run(domain: Weak<Domain>, mut requests: mpsc::Receiver<Request>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = requests.blocking_recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match requests.try_recv() {
                Ok(request) => group.push(request),
                Err(_) => break,
            }
        }
        let Some(domain) = domain.upgrade() else { break };
        // A panic while admitting fails this group's requests (their replies are dropped: an
        // internal error), not every later one: the thread goes on with the next group.
        let admitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let prepared: Vec<_> = if group.len() == 1 {
                group.iter().map(|r| domain.prepare(r.raw.clone())).collect()
            } else {
                group.par_iter().map(|r| domain.prepare(r.raw.clone())).collect()
            };
            domain.admit(prepared)
        }));
        drop(domain);
        match admitted {
            Ok(results) => {
                for (request, result) in group.drain(..).zip(results) {
                    let _ = request.reply.send(result);
                }
            }
            Err(_) => {
                tracing::error!(transactions = group.len(), "transaction admission panicked");
                group.clear();
            }
        }
    }
}
