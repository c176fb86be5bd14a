//! Exporters: how a destination delivers records, behind one trait, each driven by its own
//! bounded queue and workers ([`queue`]) so a slow or dead destination never delays another.

mod batcher;
pub mod body;
pub mod exports;
pub mod file;
mod otlp_common;
pub mod otlp_grpc;
pub mod otlp_http;
pub mod queue;
#[cfg(test)]
pub(crate) mod testkit;

use crate::otlp::Payload;
pub use body::Body;
use std::time::Duration;

/// One delivery: the records of one destination, all of one tenant when the destination is
/// per tenant.
#[derive(Debug, Clone)]
pub struct ExportBatch {
    /// The records (encoded once queued for a destination that sends protobuf).
    pub payload: Body,
    /// Their tenant, when the destination templates `{tenant}` (else `None`).
    pub tenant: Option<String>,
}

/// A payload's encoded protobuf size (what a queue's `max_bytes` counts).
pub fn encoded_len(payload: &Payload) -> usize {
    use prost::Message;
    match payload {
        Payload::Traces(r) => r.encoded_len(),
        Payload::Logs(r) => r.encoded_len(),
        Payload::Metrics(r) => r.encoded_len(),
    }
}

/// Whether a failed export may succeed if tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Try again later (OTLP's retryable codes: gRPC `UNAVAILABLE`, `RESOURCE_EXHAUSTED` with
    /// retry info, HTTP 429/502/503/504, connection errors, timeouts).
    Retryable,
    /// Never retry (bad request, unauthenticated, not found...): counted and dropped.
    Permanent,
}

/// A failed export.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ExportError {
    /// Retry or not.
    pub kind: FailureKind,
    /// The server's requested wait (`Retry-After`, gRPC `RetryInfo`), if any.
    pub retry_after: Option<Duration>,
    /// What happened, for logs: status codes and the server's message, never record content.
    pub message: String,
}

impl ExportError {
    /// A retryable failure.
    pub fn retryable(message: impl Into<String>) -> Self {
        ExportError {
            kind: FailureKind::Retryable,
            retry_after: None,
            message: message.into(),
        }
    }

    /// A permanent failure.
    pub fn permanent(message: impl Into<String>) -> Self {
        ExportError {
            kind: FailureKind::Permanent,
            retry_after: None,
            message: message.into(),
        }
    }
}

/// A destination's delivery mechanism.
#[async_trait::async_trait]
pub trait Exporter: Send + Sync + 'static {
    /// Delivers one batch; called concurrently by the destination's queue workers, and again
    /// with the same batch when a retryable failure is retried (hence the reference).
    async fn export(&self, batch: &ExportBatch) -> Result<(), ExportError>;

    /// Whether this exporter sends protobuf: its queue then encodes payloads as they are
    /// queued and holds them encoded (see [`body`]).
    fn sends_protobuf(&self) -> bool {
        false
    }

    /// Flushes anything buffered (called on shutdown, after the queue drained).
    async fn flush(&self) -> Result<(), ExportError> {
        Ok(())
    }
}
