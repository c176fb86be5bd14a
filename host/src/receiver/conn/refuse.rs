//! Connections beyond `max_connections` are answered, then closed: OTLP/HTTP clients get
//! `503 Service Unavailable` with `Retry-After`, gRPC clients `UNAVAILABLE` with `RetryInfo`,
//! both of which OTLP exporters retry with the delay given. A bare close would only say
//! "something failed".
//!
//! Answering costs a task, a socket and maybe a TLS handshake, so it is bounded: at most
//! [`MAX_REFUSING`] at once per receiver, each for at most [`MAX_REFUSAL_TIME`] (less when
//! `header_read_timeout_ms` is less), request bodies not read (over HTTP/2 the first frame
//! is awaited, not read further; see [`refuse`]). Past that bound a connection is closed
//! unread, as before.

use super::{Conn, Shared};
use crate::config::io::ConnectionLimits;
use crate::ingest::IngestError;
use crate::receiver::codec::Format;
use crate::receiver::status::{grpc_status, http_status, retry_after_secs, rpc_status};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, Version, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::future::Ready;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio_util::sync::CancellationToken;

/// Connections being answered at once per receiver. Enough for a burst of clients arriving
/// while the receiver is full, each told to come back later; small enough that a flood
/// beyond `max_connections` cannot cost more than a few handshakes and sockets.
pub(super) const MAX_REFUSING: usize = 64;

/// The longest a refused connection is kept, TLS handshake included: a client that does not
/// send its request at once is not worth waiting for, and each one holds a refusing slot.
const MAX_REFUSAL_TIME: Duration = Duration::from_secs(2);

/// What a refused client is told to wait before retrying: connection slots free up as fast
/// as requests complete, so longer would leave the receiver idle.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// What answers connections beyond `max_connections`: its slots and hyper builders.
pub(super) struct Refuser {
    slots: Arc<Semaphore>,
    /// HTTP/1.1 or HTTP/2, detected from the first bytes.
    auto: auto::Builder<TokioExecutor>,
    /// HTTP/2 only (gRPC; TLS connections that negotiated `h2`).
    h2: auto::Builder<TokioExecutor>,
    /// From accept to closed, everything included.
    deadline: Duration,
}

impl Refuser {
    pub(super) fn new(limits: &ConnectionLimits) -> Self {
        let deadline = Duration::from_millis(limits.header_read_timeout_ms).min(MAX_REFUSAL_TIME);
        let mut auto = auto::Builder::new(TokioExecutor::new());
        auto.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(deadline)
            // One answer per connection: hyper closes it after the response.
            .keep_alive(false);
        auto.http2()
            .timer(TokioTimer::new())
            // One answer is all a refused connection gets; HTTP/2 refuses further streams
            // itself (`REFUSED_STREAM`, which clients retry).
            .max_concurrent_streams(1);
        let h2 = auto.clone().http2_only();
        Refuser {
            slots: Arc::new(Semaphore::new(MAX_REFUSING)),
            auto,
            h2,
            deadline,
        }
    }

    /// A refusing slot, when one is free.
    pub(super) fn try_slot(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Resolves once every refused connection has ended (each ends at once on shutdown).
    pub(super) async fn drained(&self) {
        let all = u32::try_from(MAX_REFUSING).unwrap_or(u32::MAX);
        let _ = self.slots.acquire_many(all).await;
    }
}

/// The refusal every request on an over-limit connection gets.
fn refusal() -> IngestError {
    IngestError::Unavailable {
        retry_after: RETRY_AFTER,
        reason: "the receiver has max_connections open; retry later".into(),
    }
}

/// Answers every request on `tcp` with the receiver's retryable refusal and closes it after
/// the first answer, within the refusal deadline; at once on `shutdown`. Holds `slot` until
/// the connection is closed.
pub(super) async fn refuse(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    slot: OwnedSemaphorePermit,
    shutdown: CancellationToken,
) {
    let server = &shared.server;
    let refuser = &shared.refuser;
    let kind = server.kind;
    let answer = async {
        let (io, h2) = match &server.tls {
            None => (Conn::Plain(tcp), !server.http1),
            Some(acceptor) => {
                let stream = acceptor.accept(tcp).await?;
                let negotiated_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                (Conn::Tls(Box::new(stream)), negotiated_h2 || !server.http1)
            }
        };
        let (answered, first_rx) = oneshot::channel();
        let service = Refusal {
            grpc: !server.http1,
            answered: Mutex::new(Some(answered)),
        };
        let builder = if h2 { &refuser.h2 } else { &refuser.auto };
        let conn = builder.serve_connection(TokioIo::new(io), service);
        let mut conn = std::pin::pin!(conn);
        tokio::select! {
            result = conn.as_mut() => return result,
            first = first_rx => {
                if let Ok(Some(mut body)) = first {
                    // hyper's HTTP/2 client fails a request it has not finished handing to
                    // its connection task when a `GOAWAY` arrives ("dispatch task gone"),
                    // answered or not; it sends the body only once it has. So the `GOAWAY`
                    // waits for the body's first frame (or its end): one frame, not read
                    // further, and the deadline still bounds the wait.
                    tokio::select! {
                        result = conn.as_mut() => return result,
                        _ = body.frame() => {}
                    }
                }
                // HTTP/2: `GOAWAY` after the stream already answered, so the client has its
                // answer and opens no more streams here. (HTTP/1.1 closes after the
                // response anyway: no keep-alive.)
                conn.as_mut().graceful_shutdown();
            }
        }
        conn.await
    };
    tokio::select! {
        () = shutdown.cancelled() => {}
        result = tokio::time::timeout(refuser.deadline, answer) => match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(receiver = kind, %peer, error = %e, "refused connection ended with an error"),
            Err(_) => tracing::debug!(receiver = kind, %peer, "refused connection closed at its deadline"),
        },
    }
    drop(slot);
}

/// The hyper service of a refused connection: the same answer to every request, its body
/// not read.
struct Refusal {
    grpc: bool,
    /// Told when the first request was answered, so the connection is closed after it; with
    /// that request's body over HTTP/2 (see [`refuse`]).
    answered: Mutex<Option<oneshot::Sender<Option<Incoming>>>>,
}

impl hyper::service::Service<Request<Incoming>> for Refusal {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let response = if self.grpc {
            grpc_refusal()
        } else {
            http_refusal(&request)
        };
        let first = self
            .answered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(answered) = first {
            let body = (request.version() == Version::HTTP_2).then(|| request.into_body());
            let _ = answered.send(body);
        }
        std::future::ready(Ok(response))
    }
}

/// gRPC: HTTP 200 with `grpc-status: 14` (`UNAVAILABLE`), its message and `RetryInfo` in
/// the headers (a trailers-only response).
fn grpc_refusal() -> Response<Full<Bytes>> {
    grpc_status(&refusal()).into_http()
}

/// OTLP/HTTP: what a full queue gets (503, `Retry-After`, a `google.rpc.Status` body in the
/// request's encoding), and over HTTP/1.1 `Connection: close`.
fn http_refusal(request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let err = refusal();
    let rpc = rpc_status(&err);
    let format = Format::from_content_type(request.headers().get(header::CONTENT_TYPE))
        .unwrap_or(Format::Json);
    let body = match format {
        Format::Protobuf => prost::Message::encode_to_vec(&rpc),
        Format::Json => rpc.to_json().to_string().into_bytes(),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http_status(&err);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from(retry_after_secs(RETRY_AFTER)),
    );
    // HTTP/2 has no `Connection` header (the connection is closed with `GOAWAY`).
    if request.version() < Version::HTTP_2 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
