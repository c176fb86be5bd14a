//! Serving connections for both receivers: one accept loop, a cap on open connections, the
//! TLS handshake, and hyper's HTTP/1.1 and HTTP/2 servers with the receiver's limits on slow,
//! idle and dribbling clients (slow-loris).
//!
//! What bounds each phase of a connection (all from [`ConnectionLimits`]):
//!
//! | phase | bound | by |
//! |---|---|---|
//! | open connections | `max_connections`; one more is answered "retry later" (503 + `Retry-After`, gRPC `UNAVAILABLE`) and closed | a semaphore here |
//! | refused connections | 64 being answered ([`refuse::MAX_REFUSING`]); one more is closed at once, unread | a second semaphore, in [`refuse`] |
//! | answering a refused one (TLS handshake included) | `header_read_timeout_ms`, at most 2 s, from accept; its body is never read | `tokio::time::timeout` in [`refuse`] |
//! | TLS handshake | `header_read_timeout_ms` from accept | `tokio::time::timeout_at` here |
//! | first request (HTTP/2, gRPC; HTTP version detection) | `header_read_timeout_ms` from accept | [`Activity`] here |
//! | HTTP/1.1 request head, first and between requests | `header_read_timeout_ms` | hyper's `header_read_timeout` |
//! | request body | `body_read_timeout_ms` from its head | [`DeadlineBody`], in [`body`] |
//! | no request in flight | `idle_timeout_ms` | [`Activity`] here; graceful close (HTTP/2 `GOAWAY`) |
//! | dead HTTP/2 peer | `keepalive_interval_ms` + `keepalive_timeout_ms` | hyper's HTTP/2 keep-alive pings |
//! | HTTP/2 streams | `max_concurrent_streams` per connection | hyper (`SETTINGS_MAX_CONCURRENT_STREAMS`) |
//!
//! hyper has no idle timeout for HTTP/2 and no deadline for a request body, and its automatic
//! HTTP/1-or-2 detection waits for the first bytes without a deadline: those three (and the
//! refused connections' one) are the only timers here, each a `tokio::time` deadline on one
//! connection or body.

mod body;
mod refuse;

pub use body::{BodyTimeout, DeadlineBody};

use crate::config::io::ConnectionLimits;
use crate::metrics::Metrics;
use body::Expired;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

/// How often at most a receiver logs that it refuses connections (each is also counted).
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// One accepted connection, plaintext or TLS.
pub enum Conn {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP, handshake complete. Boxed: the TLS state is large.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// What a receiver serves, and how.
pub struct Server {
    /// The receiver type (`otlp_grpc`, `otlp_http`), for logs and metric labels.
    pub kind: &'static str,
    /// The endpoints.
    pub router: axum::Router,
    /// Limits on connections and clients.
    pub limits: ConnectionLimits,
    /// Where connections, refusals and timeouts are counted.
    pub metrics: Arc<Metrics>,
    /// TLS, when configured.
    pub tls: Option<TlsAcceptor>,
    /// Whether HTTP/1.1 is served besides HTTP/2 (OTLP/HTTP); gRPC is HTTP/2 only.
    pub http1: bool,
}

/// A [`Server`] with its hyper connection builders.
struct Shared {
    server: Server,
    /// HTTP/1.1 or HTTP/2, detected from the first bytes (the connection preface).
    auto: auto::Builder<TokioExecutor>,
    /// HTTP/2 only (gRPC; TLS connections that negotiated `h2`).
    h2: auto::Builder<TokioExecutor>,
    /// Answers connections beyond `max_connections`.
    refuser: refuse::Refuser,
    last_refusal_log: Mutex<Option<Instant>>,
}

impl Shared {
    fn new(server: Server) -> Self {
        let l = &server.limits;
        let mut auto = auto::Builder::new(TokioExecutor::new());
        auto.http1()
            .timer(TokioTimer::new())
            // Runs from the moment the connection waits for a request head (accepted, or
            // its previous response sent) until the head is complete.
            .header_read_timeout(ms(l.header_read_timeout_ms))
            .keep_alive(true);
        let interval = (l.keepalive_interval_ms > 0).then(|| ms(l.keepalive_interval_ms));
        auto.http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(l.max_concurrent_streams)
            .keep_alive_interval(interval)
            .keep_alive_timeout(ms(l.keepalive_timeout_ms));
        let h2 = auto.clone().http2_only();
        Shared {
            refuser: refuse::Refuser::new(l),
            server,
            auto,
            h2,
            last_refusal_log: Mutex::new(None),
        }
    }

    /// Counts and (at most every [`REFUSAL_LOG_INTERVAL`]) logs a connection beyond
    /// `max_connections`; `answered` when it is told to retry later rather than closed unread.
    fn refused(&self, peer: SocketAddr, answered: bool) {
        let kind = self.server.kind;
        self.server.metrics.receiver_refused(kind);
        let now = Instant::now();
        let mut last = self
            .last_refusal_log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let how = if answered {
            "answered retry-later"
        } else {
            "closed unread: too many refusals in progress"
        };
        if last.is_none_or(|t| now.duration_since(t) >= REFUSAL_LOG_INTERVAL) {
            *last = Some(now);
            tracing::warn!(
                receiver = kind,
                %peer,
                max_connections = self.server.limits.max_connections,
                "connection refused ({how}): max_connections are open (further refusals are counted in sluice_receiver_connections_refused_total)"
            );
        } else {
            tracing::debug!(receiver = kind, %peer, "connection refused ({how}): max_connections are open");
        }
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A connection's slot: holds one of `max_connections` permits and the open-connections gauge.
struct Slot {
    _permit: OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
    kind: &'static str,
}

impl Slot {
    fn new(permit: OwnedSemaphorePermit, metrics: Arc<Metrics>, kind: &'static str) -> Self {
        metrics.receiver_connection(kind, 1);
        Slot {
            _permit: permit,
            metrics,
            kind,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.metrics.receiver_connection(self.kind, -1);
    }
}

/// Accepts on `listener` until `shutdown` is cancelled, then closes it (new connections are
/// refused from then on), asks every connection to finish gracefully (in-flight requests
/// complete; idle connections close) and returns once all have ended. `force` ends every
/// connection at once (the drain deadline has passed).
pub async fn run(
    server: Server,
    listener: TcpListener,
    shutdown: CancellationToken,
    force: CancellationToken,
) {
    let max = server
        .limits
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS);
    let shared = Arc::new(Shared::new(server));
    let slots = Arc::new(Semaphore::new(max));
    let kind = shared.server.kind;
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Typically EMFILE: out of file descriptors. Back off instead of spinning;
                // the condition clears as other connections close.
                tracing::warn!(receiver = kind, error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            // Refused, not queued: the client learns at once instead of waiting unseen in
            // the backlog. Told to retry later when a refusing slot is free; closed unread
            // (which OTLP exporters also retry, with their own backoff) when refusals
            // themselves are flooding in.
            match shared.refuser.try_slot() {
                Some(refusing) => {
                    shared.refused(peer, true);
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(refuse::refuse(
                        shared.clone(),
                        tcp,
                        peer,
                        refusing,
                        shutdown.clone(),
                    ));
                }
                None => {
                    shared.refused(peer, false);
                    drop(tcp);
                }
            }
            continue;
        };
        let slot = Slot::new(permit, shared.server.metrics.clone(), kind);
        // OTLP responses are small and latency matters more than packet count.
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve_connection(
            shared.clone(),
            tcp,
            peer,
            slot,
            shutdown.clone(),
            force.clone(),
        ));
    }
    drop(listener);
    // Every connection holds a slot until it ends: all slots back means all are done.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    shared.refuser.drained().await;
}

/// Why a connection was cut off, for `sluice_receiver_timeouts_total{phase}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No first request (or, over HTTP/1.1, no complete request head) in time.
    Header,
    /// No request in flight for `idle_timeout_ms`.
    Idle,
}

impl Phase {
    fn label(self) -> &'static str {
        match self {
            Phase::Header => "header",
            Phase::Idle => "idle",
        }
    }
}

async fn serve_connection(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    shutdown: CancellationToken,
    force: CancellationToken,
) {
    let server = &shared.server;
    let (kind, limits) = (server.kind, server.limits);
    let accepted = Instant::now();
    let first_request = ms(limits.header_read_timeout_ms);
    let (io, h2) = match &server.tls {
        None => (Conn::Plain(tcp), !server.http1),
        Some(acceptor) => {
            let handshake = tokio::time::timeout_at(accepted + first_request, acceptor.accept(tcp));
            let stream = tokio::select! {
                () = shutdown.cancelled() => return,
                result = handshake => match result {
                    Ok(Ok(stream)) => stream,
                    // The client's problem (wrong CA, no client certificate, plaintext to a
                    // TLS port): worth a debug line, not a warning.
                    Ok(Err(e)) => {
                        tracing::debug!(receiver = kind, %peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        server.metrics.receiver_timeout(kind, "handshake");
                        tracing::debug!(receiver = kind, %peer, "TLS handshake timed out");
                        return;
                    }
                },
            };
            let negotiated_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            (Conn::Tls(Box::new(stream)), negotiated_h2 || !server.http1)
        }
    };
    let activity = Activity::new(accepted);
    let service = ConnService {
        router: TowerToHyperService::new(server.router.clone()),
        activity: activity.clone(),
        body_timeout: ms(limits.body_read_timeout_ms),
        metrics: server.metrics.clone(),
        kind,
    };
    let builder = if h2 { &shared.h2 } else { &shared.auto };
    let conn = builder.serve_connection(TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    let mut watch = activity.subscribe();
    let idle = ms(limits.idle_timeout_ms);
    let mut draining = false;
    // Set when the connection was asked to close for being slow or idle: why, and when it
    // is closed regardless if it has not finished by itself (a peer ignoring `GOAWAY`).
    let mut cut: Option<(Phase, Instant)> = None;
    loop {
        let close_by = cut.map(|(_, at)| at);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = &result {
                    match hyper_timeout(&**e, &activity) {
                        // Counted when it was cut already.
                        Some(_) if cut.is_some() => {}
                        Some(phase) => {
                            server.metrics.receiver_timeout(kind, phase.label());
                            tracing::debug!(receiver = kind, %peer, phase = phase.label(), "connection closed: client too slow");
                        }
                        None => tracing::debug!(receiver = kind, %peer, error = %e, "connection ended with an error"),
                    }
                }
                break;
            }
            () = force.cancelled() => break,
            () = shutdown.cancelled(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            phase = idle_expired(&mut watch, first_request, idle), if cut.is_none() => {
                server.metrics.receiver_timeout(kind, phase.label());
                tracing::debug!(receiver = kind, %peer, phase = phase.label(), "closing connection: no request in time");
                cut = Some((phase, Instant::now() + first_request));
                conn.as_mut().graceful_shutdown();
            }
            () = sleep_until_some(close_by) => {
                if activity.in_flight() == 0 {
                    break;
                }
                // A request is being served: it finishes (bounded by its body deadline),
                // then the connection closes as asked.
                cut = cut.map(|(phase, _)| (phase, Instant::now() + first_request));
            }
        }
    }
    drop(slot);
}

/// Sleeps until `at`, or forever when `None`.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The phase a hyper connection error means, if it is hyper's header read timeout.
fn hyper_timeout(error: &(dyn std::error::Error + 'static), activity: &Activity) -> Option<Phase> {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(h) = e.downcast_ref::<hyper::Error>()
            && h.is_timeout()
        {
            // hyper's timer also runs between requests: after one, waiting counts as idle.
            return Some(if activity.served() == 0 {
                Phase::Header
            } else {
                Phase::Idle
            });
        }
        source = e.source();
    }
    None
}

/// A connection's requests in flight, how many it has had, and since when it is idle.
#[derive(Debug, Clone, Copy)]
struct ActivityState {
    in_flight: usize,
    served: u64,
    idle_since: Instant,
}

/// Tracks a connection's requests, so it can be closed when it has had none for too long.
#[derive(Clone)]
struct Activity(Arc<watch::Sender<ActivityState>>);

impl Activity {
    fn new(accepted: Instant) -> Self {
        let (tx, _) = watch::channel(ActivityState {
            in_flight: 0,
            served: 0,
            idle_since: accepted,
        });
        Activity(Arc::new(tx))
    }

    fn subscribe(&self) -> watch::Receiver<ActivityState> {
        self.0.subscribe()
    }

    fn in_flight(&self) -> usize {
        self.0.borrow().in_flight
    }

    fn served(&self) -> u64 {
        self.0.borrow().served
    }

    /// A request started; it ends when the returned guard is dropped.
    fn begin(&self) -> InFlight {
        self.0.send_modify(|s| {
            s.in_flight += 1;
            s.served += 1;
        });
        InFlight(self.clone())
    }
}

/// One request in flight on a connection.
struct InFlight(Activity);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.0.send_modify(|s| {
            s.in_flight -= 1;
            if s.in_flight == 0 {
                s.idle_since = Instant::now();
            }
        });
    }
}

/// Resolves when the connection has had no request in flight for too long: `first` from
/// accept until its first request, `idle` after a request.
async fn idle_expired(
    watch: &mut watch::Receiver<ActivityState>,
    first: Duration,
    idle: Duration,
) -> Phase {
    loop {
        let state = *watch.borrow_and_update();
        if state.in_flight > 0 {
            // The sender lives as long as the connection; a closed channel never changes.
            if watch.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            continue;
        }
        let (limit, phase) = if state.served == 0 {
            (first, Phase::Header)
        } else {
            (idle, Phase::Idle)
        };
        tokio::select! {
            () = tokio::time::sleep_until(state.idle_since + limit) => return phase,
            changed = watch.changed() => if changed.is_err() {
                std::future::pending::<()>().await;
            },
        }
    }
}

/// The hyper service of one connection: the receiver's router, with each request counted as
/// in flight and its body given a deadline.
struct ConnService {
    router: TowerToHyperService<axum::Router>,
    activity: Activity,
    body_timeout: Duration,
    metrics: Arc<Metrics>,
    kind: &'static str,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<axum::body::Body>;
    type Error = Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<Response<axum::body::Body>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin();
        let expired = Expired {
            metrics: self.metrics.clone(),
            kind: self.kind,
        };
        let limit = self.body_timeout;
        let request =
            request.map(|body| axum::body::Body::new(DeadlineBody::new(body, limit, expired)));
        let response = self.router.call(request);
        Box::pin(async move {
            let response = response.await;
            drop(in_flight);
            response
        })
    }
}
