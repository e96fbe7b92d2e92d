//! A value kept for a moment and shared by every request in it.
//!
//! The home page is the page every visitor opens and every open tab polls (`live.js`, each 2 s).
//! Its statements are cheap, but reading and rendering its rows for each view costs about 3 ms of
//! the machine: under many clients that queues. It changes at most once a block, so, as
//! Blockscout caches its home counters and latest blocks, the explorer keeps it for
//! `home_cache_ms` and one request refreshes it while the others wait for that answer instead of
//! each reading the database again.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::Mutex;

/// A value read at most once per `ttl`; a zero `ttl` reads it on every call.
#[derive(Debug)]
pub struct Kept<T> {
    ttl: Duration,
    slot: Mutex<Option<(Instant, Arc<T>)>>,
}

impl<T> Kept<T> {
    /// Keeps each value read for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, slot: Mutex::new(None) }
    }

    /// The kept value if it is younger than the `ttl`, else a fresh one from `load` (kept only if
    /// `load` succeeds). Callers arriving while one loads wait for that load and share its value,
    /// so an expired value costs one read, not one per waiting request.
    pub async fn get<E, F, Fut>(&self, load: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if self.ttl.is_zero() {
            return load().await.map(Arc::new);
        }
        let mut slot = self.slot.lock().await;
        if let Some((at, value)) = slot.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(value.clone());
        }
        let value = Arc::new(load().await?);
        *slot = Some((Instant::now(), value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn count(loads: &AtomicUsize) -> Result<usize, ()> {
        Ok(loads.fetch_add(1, Ordering::SeqCst) + 1)
    }

    #[tokio::test]
    async fn a_value_is_read_once_per_ttl() {
        let loads = AtomicUsize::new(0);
        let kept = Kept::new(Duration::from_millis(200));
        assert_eq!(*kept.get(|| count(&loads)).await.unwrap(), 1);
        assert_eq!(*kept.get(|| count(&loads)).await.unwrap(), 1, "kept within the ttl");
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(*kept.get(|| count(&loads)).await.unwrap(), 2, "read again after it");
    }

    #[tokio::test]
    async fn a_zero_ttl_reads_every_time() {
        let loads = AtomicUsize::new(0);
        let kept = Kept::new(Duration::ZERO);
        assert_eq!(*kept.get(|| count(&loads)).await.unwrap(), 1);
        assert_eq!(*kept.get(|| count(&loads)).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept() {
        let kept = Kept::<u32>::new(Duration::from_secs(60));
        assert_eq!(kept.get(|| async { Err::<u32, &str>("down") }).await.unwrap_err(), "down");
        assert_eq!(*kept.get(|| async { Ok::<u32, &str>(7) }).await.unwrap(), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_requests_share_one_read() {
        let loads = Arc::new(AtomicUsize::new(0));
        let kept = Arc::new(Kept::new(Duration::from_secs(60)));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (kept, loads) = (kept.clone(), loads.clone());
                tokio::spawn(async move {
                    *kept
                        .get(|| async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            count(&loads).await
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 1);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }
}
