//! A request body's deadline: [`DeadlineBody`] fails with [`BodyTimeout`] when the body has
//! not arrived in full within `body_read_timeout_ms` of its head.

use crate::metrics::Metrics;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Counts a body that missed its deadline.
pub(super) struct Expired {
    pub(super) metrics: Arc<Metrics>,
    pub(super) kind: &'static str,
}

/// A request body that fails with [`BodyTimeout`] when it has not arrived in full within its
/// limit from the request head.
pub struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
    expired: Option<Expired>,
}

impl DeadlineBody {
    pub(super) fn new(inner: Incoming, limit: Duration, expired: Expired) -> Self {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep(limit)),
            limit,
            expired: Some(expired),
        }
    }
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.expired.is_none() {
            // Timed out already: the body ends in that error.
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            if let Some(e) = this.expired.take() {
                e.metrics.receiver_timeout(e.kind, "body");
            }
            return Poll::Ready(Some(Err(Box::new(BodyTimeout::new(this.limit)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.expired.is_none() || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A request body did not arrive in full in time. Its source is the gRPC status a gRPC
/// client gets (`DEADLINE_EXCEEDED`, which OTLP exporters retry); tonic finds it there.
#[derive(Debug)]
pub struct BodyTimeout {
    status: tonic::Status,
}

impl BodyTimeout {
    fn new(limit: Duration) -> Self {
        BodyTimeout {
            status: tonic::Status::deadline_exceeded(format!(
                "request body not received in full within {} ms",
                limit.as_millis()
            )),
        }
    }

    /// Whether `error` is, or was caused by, a body timeout.
    pub fn is_cause_of(error: &(dyn std::error::Error + 'static)) -> bool {
        let mut source = Some(error);
        while let Some(e) = source {
            if e.is::<BodyTimeout>() {
                return true;
            }
            source = e.source();
        }
        false
    }
}

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.status.message())
    }
}

impl std::error::Error for BodyTimeout {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.status)
    }
}
