//! Waiting out a node that fails: a request that fails in transit (the node restarting, a
//! dropped connection, a 5xx from a proxy) is tried again after a pause that doubles with each
//! failure in a row, up to a cap, instead of stopping the indexer.

use std::time::Duration;

use tracing::warn;

use crate::IndexerError;

/// Whether `e` may pass if tried again: the node's answers, not the database or the chain.
pub fn transient(e: &IndexerError) -> bool {
    matches!(e, IndexerError::Rpc { .. })
}

/// Capped exponential backoff between attempts.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// The pause after one failure is `first`; each further failure in a row doubles it, up to
    /// `cap`.
    pub fn new(first: Duration, cap: Duration) -> Self {
        Self { first, cap, failures: 0 }
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The pause before the next attempt, counting one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.first.saturating_mul(1u32 << self.failures.min(16)).min(self.cap);
        self.failures = self.failures.saturating_add(1);
        delay
    }

    /// Logs `error` (what failed, for `who`) and sleeps for the next pause.
    pub async fn wait(&mut self, who: &str, error: &IndexerError) {
        let delay = self.next_delay();
        warn!(
            who,
            error = %error,
            failures = self.failures,
            retry_in_ms = delay.as_millis() as u64,
            "request failed; retrying"
        );
        tokio::time::sleep(delay).await;
    }

    /// An attempt succeeded: the next failure pauses `first` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

impl Default for Backoff {
    /// 100 ms doubling to 10 s: a node restart is waited out within seconds of its return.
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_and_start_again_after_a_success() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<u128> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.failures(), 6);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
        // Many failures in a row never overflow the pause.
        for _ in 0..100 {
            assert!(b.next_delay() <= Duration::from_secs(1));
        }
    }

    #[test]
    fn only_the_node_failing_is_transient() {
        assert!(transient(&IndexerError::Rpc { url: "u".into(), message: "m".into() }));
        assert!(!transient(&IndexerError::Chain { domain: 0, message: "m".into() }));
        assert!(!transient(&IndexerError::Config("c".into())));
    }
}
