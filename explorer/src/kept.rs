//! A value kept for a moment and shared by every request in it.
//!
//! The home page is the page every visitor opens and every open tab polls (`live.js`, each 2 s).
//! Its statements are cheap, but reading and rendering its rows for each view took about 3 ms of
//! the two cores (derived from its rate alone, 623 views/s under 32 clients on PostgreSQL; p95
//! 68.8 ms: BENCHMARKS "Every page again, the home page kept"): under many clients that queues. It changes at most once a block, so, as
//! Blockscout caches its home counters and latest blocks, the explorer keeps it for
//! `home_cache_ms`: one request reads it again while the others are answered with the value it
//! replaces, instead of each reading the database.

use std::{
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// A value read at most once per `ttl`; a zero `ttl` reads it on every call.
#[derive(Debug)]
pub struct Kept<T> {
    ttl: Duration,
    /// The last value read and when.
    value: Mutex<Option<(Instant, Arc<T>)>>,
    /// Held by the one request reading the value again.
    loading: tokio::sync::Mutex<()>,
}

impl<T> Kept<T> {
    /// Keeps each value read for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, value: Mutex::new(None), loading: tokio::sync::Mutex::new(()) }
    }

    /// The kept value if it is younger than the `ttl`, else a fresh one from `load` (kept only if
    /// `load` succeeds). While one request loads, the others get the value it replaces at once
    /// rather than queueing behind the load (or, before the first value, wait for it and use
    /// it): an expired value costs one read, however many requests arrive, and a slow or
    /// failing read holds up only the request making it.
    pub async fn get<E, F, Fut>(&self, load: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if self.ttl.is_zero() {
            return load().await.map(Arc::new);
        }
        if let Some(value) = self.current(true) {
            return Ok(value);
        }
        let _loading = match self.loading.try_lock() {
            Ok(guard) => guard,
            Err(_) => match self.current(false) {
                Some(previous) => return Ok(previous),
                None => self.loading.lock().await,
            },
        };
        // Another request may have read it while this one waited.
        if let Some(value) = self.current(true) {
            return Ok(value);
        }
        let value = Arc::new(load().await?);
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), value.clone()));
        Ok(value)
    }

    /// The kept value: only if younger than the `ttl` when `fresh`.
    fn current(&self, fresh: bool) -> Option<Arc<T>> {
        let kept = self.value.lock().unwrap_or_else(|e| e.into_inner());
        kept.as_ref().filter(|(at, _)| !fresh || at.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn count(loads: &AtomicUsize) -> Result<usize, ()> {
        Ok(loads.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// A request in its own task whose read, if it makes one, takes `ms`.
    fn slow_get(
        kept: &Arc<Kept<usize>>,
        loads: &Arc<AtomicUsize>,
        ms: u64,
    ) -> tokio::task::JoinHandle<usize> {
        let (kept, loads) = (kept.clone(), loads.clone());
        tokio::spawn(async move {
            *kept
                .get(|| async {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    count(&loads).await
                })
                .await
                .unwrap()
        })
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
    async fn while_one_request_reads_again_the_others_get_the_previous_value() {
        let loads = Arc::new(AtomicUsize::new(0));
        let kept = Arc::new(Kept::new(Duration::from_millis(50)));
        assert_eq!(*kept.get(|| count(&loads)).await.unwrap(), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        let slow = slow_get(&kept, &loads, 300);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let previous = kept.get(|| async { Err::<usize, ()>(()) }).await.unwrap();
        assert_eq!(*previous, 1, "the value being replaced");
        assert!(started.elapsed() < Duration::from_millis(200), "without waiting for the read");
        assert_eq!(slow.await.unwrap(), 2);
        assert_eq!(*kept.get(|| count(&loads)).await.unwrap(), 2, "then the new one");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_requests_share_one_read() {
        let loads = Arc::new(AtomicUsize::new(0));
        let kept = Arc::new(Kept::new(Duration::from_secs(60)));
        let tasks: Vec<_> = (0..16).map(|_| slow_get(&kept, &loads, 50)).collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 1);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }
}
