//! Accepting connections for both receivers: one accept loop that optionally completes the
//! TLS handshake, handing finished connections to the HTTP or gRPC server over a channel.
//!
//! Handshakes run in their own tasks so a slow (or malicious) client that never finishes
//! one cannot hold up everyone else's accepts; they are also bounded by a timeout.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections accepted but not yet picked up by the server: a small buffer, so that a
/// server that stops picking up also stops the accept loop (backpressure).
const PENDING_CONNECTIONS: usize = 64;

/// One accepted connection, plaintext or TLS.
pub enum Conn {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP, handshake complete. Boxed: the TLS state is large.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref().0,
        }
    }
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

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.tcp().connect_info()
    }
}

/// Accepts on `listener` until `shutdown` is cancelled, then closes it (new connections are
/// refused from then on). Connections arrive on the returned channel; it closes once the
/// loop and all pending handshakes are done.
pub fn spawn_accept_loop(
    receiver: &'static str,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) -> mpsc::Receiver<Conn> {
    let (tx, rx) = mpsc::channel(PENDING_CONNECTIONS);
    tokio::spawn(async move {
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
                    tracing::warn!(receiver, error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            // OTLP responses are small and latency matters more than packet count.
            let _ = tcp.set_nodelay(true);
            match &tls {
                None => {
                    // Waiting for room must not delay noticing shutdown: the listener has
                    // to close promptly even when the server has stopped picking up.
                    let sent = tokio::select! {
                        () = shutdown.cancelled() => break,
                        sent = tx.send(Conn::Plain(tcp)) => sent,
                    };
                    if sent.is_err() {
                        break;
                    }
                }
                Some(acceptor) => {
                    let (acceptor, tx) = (acceptor.clone(), tx.clone());
                    tokio::spawn(handshake(receiver, acceptor, tcp, peer, tx));
                }
            }
        }
    });
    rx
}

async fn handshake(
    receiver: &'static str,
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    tx: mpsc::Sender<Conn>,
) {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => {
            let _ = tx.send(Conn::Tls(Box::new(stream))).await;
        }
        // Handshake failures are the client's problem (wrong CA, no client certificate,
        // plaintext to a TLS port): worth a debug line, not a warning.
        Ok(Err(e)) => tracing::debug!(receiver, %peer, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(receiver, %peer, "TLS handshake timed out"),
    }
}

/// The accept loop's channel as an axum [`Listener`](axum::serve::Listener).
pub struct ChannelListener {
    /// Where connections arrive.
    pub rx: mpsc::Receiver<Conn>,
    /// The bound address.
    pub local_addr: SocketAddr,
}

impl axum::serve::Listener for ChannelListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        loop {
            match self.rx.recv().await {
                Some(conn) => {
                    let peer = conn.tcp().peer_addr();
                    match peer {
                        Ok(peer) => return (conn, peer),
                        // The client already went away.
                        Err(_) => continue,
                    }
                }
                // The accept loop has stopped, so shutdown is under way and axum is about
                // to stop asking; there is nothing more to hand out.
                None => std::future::pending().await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr)
    }
}
