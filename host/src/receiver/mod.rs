//! Network receivers: OTLP over gRPC and over HTTP, optionally with (mutual) TLS. Each one
//! binds its address, then hands every request's payload to [`Ingest`] and answers with
//! what it says: success (maybe partial), unauthenticated, invalid, or try again later.
//!
//! [`serve`] binds before returning, so a caller that asked for port 0 learns the real
//! address, and a port conflict is reported at startup rather than from a background task.

mod codec;
pub mod compress;
mod conn;
mod grpc;
mod http;
pub mod status;
pub mod tls;

use crate::config::io::ReceiverConfig;
use crate::ingest::{Accepted, Incoming, Ingest, IngestError, RequestContext};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// After shutdown is requested, how long in-flight requests get to finish before the
/// receiver stops waiting for them (a client trickling a body must not hold shutdown).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// A receiver that is listening.
#[derive(Debug)]
pub struct BoundReceiver {
    /// The receiver type, as in the config (`otlp_grpc`, `otlp_http`).
    pub kind: &'static str,
    /// The address actually bound (the real port when the config asked for port 0).
    pub address: SocketAddr,
    /// Serves until shutdown is cancelled and in-flight requests are done (or
    /// [`DRAIN_TIMEOUT`] has passed, when the connections left are closed).
    pub handle: JoinHandle<()>,
}

/// Why a receiver could not start or stopped serving. Messages name the receiver and address.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("{kind} receiver: cannot listen on {address}: {source}")]
    Bind {
        /// The receiver type.
        kind: &'static str,
        /// The configured address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS files are missing or unusable.
    #[error("{kind} receiver on {address}: TLS: {source}")]
    Tls {
        /// The receiver type.
        kind: &'static str,
        /// The configured address.
        address: SocketAddr,
        /// Why, naming the file.
        source: tls::TlsError,
    },
    /// Not a network receiver (file receivers are run by [`crate::filemode`]).
    #[error("the file receiver is not a network receiver")]
    NotNetwork,
}

/// Binds the receiver's address and serves it until `shutdown` is cancelled; then it stops
/// accepting connections (closing the listening socket), lets in-flight requests finish,
/// and the returned task ends. Slow, idle and surplus clients are cut off by the config's
/// connection limits (see [`conn`]).
pub async fn serve(
    config: &ReceiverConfig,
    ingest: Ingest,
    shutdown: CancellationToken,
) -> Result<BoundReceiver, ReceiverError> {
    let grpc = matches!(config, ReceiverConfig::OtlpGrpc { .. });
    let (kind, address, limit, tls, alpn): (_, _, _, _, &[&[u8]]) = match config {
        ReceiverConfig::File { .. } => return Err(ReceiverError::NotNetwork),
        // gRPC is HTTP/2 only; clients negotiate it with ALPN `h2`.
        ReceiverConfig::OtlpGrpc {
            address,
            max_request_bytes,
            tls,
            ..
        } => ("otlp_grpc", *address, *max_request_bytes, tls, &[b"h2"]),
        ReceiverConfig::OtlpHttp {
            address,
            max_request_bytes,
            tls,
            ..
        } => (
            "otlp_http",
            *address,
            *max_request_bytes,
            tls,
            &[b"h2", b"http/1.1"],
        ),
    };
    let limits = config.limits().ok_or(ReceiverError::NotNetwork)?;
    // TLS files first: a bad path is a config error, and reporting it must not need the port.
    let acceptor = match tls {
        Some(tls) => {
            let config = tls::server_config(tls, alpn).map_err(|source| ReceiverError::Tls {
                kind,
                address,
                source,
            })?;
            Some(tokio_rustls::TlsAcceptor::from(config))
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| ReceiverError::Bind {
            kind,
            address,
            source,
        })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ReceiverError::Bind {
            kind,
            address,
            source,
        })?;
    let metrics = ingest.metrics().clone();
    let router = if grpc {
        grpc::router(ingest, limit)
    } else {
        http::router(ingest, limit)
    };
    let server = conn::Server {
        kind,
        router,
        limits,
        metrics,
        tls: acceptor,
        http1: !grpc,
    };
    let force = CancellationToken::new();
    let serving = conn::run(server, listener, shutdown.clone(), force.clone());
    let handle = tokio::spawn(async move {
        let drain_deadline = async {
            shutdown.cancelled().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::select! {
            () = serving => {}
            () = drain_deadline => {
                tracing::warn!(receiver = kind, address = %local_addr, "requests still in flight at the drain deadline; stopping anyway");
                force.cancel();
            }
        }
    });
    Ok(BoundReceiver {
        kind,
        address: local_addr,
        handle,
    })
}

/// Hands a payload to the pipeline in a task of its own: a client that disconnects
/// mid-request drops the server's future, and that must not abandon a request halfway
/// through enqueueing (its retry would then duplicate what was already queued).
async fn submit(
    ingest: &Ingest,
    ctx: RequestContext,
    payload: Incoming,
) -> Result<Accepted, IngestError> {
    let ingest = ingest.clone();
    match tokio::spawn(async move { ingest.submit(ctx, payload).await }).await {
        Ok(result) => result,
        Err(e) => {
            // A panic in the pipeline is a bug; the request may succeed when retried.
            tracing::error!(error = %e, "request processing panicked");
            Err(IngestError::Unavailable {
                retry_after: Duration::from_secs(1),
                reason: "internal error".into(),
            })
        }
    }
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod http_tests;

#[cfg(test)]
mod grpc_tests;

#[cfg(test)]
mod tls_tests;

#[cfg(test)]
mod limits_tests;
