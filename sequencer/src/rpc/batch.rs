//! Batch calls run concurrently (jsonrpsee runs them one after another): a batch of raw
//! transactions then shares one pool-journal commit and recovers its signatures on every core,
//! instead of paying both once per transaction.

use std::future::Future;

use futures_util::future::{BoxFuture, FutureExt, join_all};
use jsonrpsee::{
    core::middleware::{Batch, BatchEntry, Notification, RpcServiceT},
    server::{BatchResponseBuilder, MethodResponse},
    types::Request,
};

/// Middleware answering batches with the responses in request order, computed concurrently.
#[derive(Clone)]
pub struct ConcurrentBatch<S> {
    pub inner: S,
    pub max_response_size: usize,
}

impl<S> RpcServiceT for ConcurrentBatch<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        self.inner.call(request)
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let inner = self.inner.clone();
        let limit = self.max_response_size;
        async move {
            let mut calls: Vec<BoxFuture<'a, MethodResponse>> = Vec::new();
            let mut got_notification = false;
            for entry in batch {
                match entry {
                    Ok(BatchEntry::Call(req)) => calls.push(inner.call(req).boxed()),
                    Ok(BatchEntry::Notification(n)) => {
                        got_notification = true;
                        inner.notification(n).await;
                    }
                    Err(err) => {
                        let (err, id) = err.into_parts();
                        calls.push(
                            futures_util::future::ready(MethodResponse::error(id, err)).boxed(),
                        );
                    }
                }
            }
            let mut out = BatchResponseBuilder::new_with_limit(limit);
            for response in join_all(calls).await {
                if let Err(too_big) = out.append(response) {
                    return too_big;
                }
            }
            if out.is_empty() && got_notification {
                MethodResponse::notification()
            } else {
                MethodResponse::from_batch(out.finish())
            }
        }
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.inner.notification(n)
    }
}
