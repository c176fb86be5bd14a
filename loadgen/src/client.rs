//! One client connection: OTLP/gRPC over its own HTTP/2 connection (tonic), or OTLP/HTTP
//! protobuf over its own HTTP/1.1 keep-alive connection (hyper). Each sends pre-encoded
//! requests and classifies the answer.

use crate::codec::{Outgoing, RawCodec, stamp_now};
use crate::pool::Item;
use crate::wire;
use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::Duration;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::{Channel, Endpoint};

/// The wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// OTLP/gRPC.
    Grpc,
    /// OTLP/HTTP with protobuf bodies.
    Http,
}

/// How connections are made and requests sent.
#[derive(Debug, Clone)]
pub struct ConnOpts {
    /// The receiver.
    pub addr: SocketAddr,
    /// Its protocol.
    pub protocol: Protocol,
    /// A header naming each request's tenant (e.g. `x-scope-orgid`), if any.
    pub tenant_header: Option<String>,
    /// gzip request bodies (gRPC only).
    pub gzip: bool,
    /// Deadline of one request.
    pub timeout: Duration,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; `rejected` records were refused by an OTLP partial success.
    Ok {
        /// Records refused.
        rejected: u64,
    },
    /// Failed: the gRPC code, `HTTP <status>`, `timeout` or `transport`.
    Failed(String),
}

type HttpBody = Full<bytes::buf::Chain<bytes::buf::Chain<Bytes, Bytes>, Bytes>>;

enum Inner {
    Grpc(tonic::client::Grpc<Channel>),
    Http(Option<SendRequest<HttpBody>>),
}

/// A connection to the receiver; reconnects by itself after a failure.
pub struct Conn {
    inner: Inner,
    opts: ConnOpts,
}

impl Conn {
    /// A connection (gRPC connects lazily, on the first request).
    pub fn new(opts: ConnOpts) -> anyhow::Result<Conn> {
        let inner = match opts.protocol {
            Protocol::Grpc => {
                let endpoint = Endpoint::from_shared(format!("http://{}", opts.addr))
                    .context("endpoint")?
                    .tcp_nodelay(true)
                    .connect_timeout(Duration::from_secs(5));
                let mut grpc = tonic::client::Grpc::new(endpoint.connect_lazy())
                    .max_decoding_message_size(64 << 20);
                if opts.gzip {
                    grpc = grpc.send_compressed(CompressionEncoding::Gzip);
                }
                Inner::Grpc(grpc)
            }
            Protocol::Http => Inner::Http(None),
        };
        Ok(Conn { inner, opts })
    }

    /// Sends `item`, stamping it with the send time when it has a placeholder.
    pub async fn send(&mut self, item: &Item) -> Outcome {
        let out = Outgoing {
            body: item.body.clone(),
            stamp: item.stamp_at.map(|at| (at, stamp_now())),
        };
        match tokio::time::timeout(self.opts.timeout, self.send_inner(item, out)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                if let Inner::Http(sender) = &mut self.inner {
                    *sender = None; // the connection is in an unknown state
                }
                Outcome::Failed("timeout".into())
            }
        }
    }

    async fn send_inner(&mut self, item: &Item, out: Outgoing) -> Outcome {
        let opts = &self.opts;
        match &mut self.inner {
            Inner::Grpc(grpc) => {
                if grpc.ready().await.is_err() {
                    return Outcome::Failed("transport".into());
                }
                let mut req = tonic::Request::new(out);
                req.set_timeout(opts.timeout);
                if let Some(h) = &opts.tenant_header
                    && let (Ok(k), Ok(v)) = (
                        MetadataKey::from_bytes(h.as_bytes()),
                        MetadataValue::try_from(item.tenant.as_str()),
                    )
                {
                    req.metadata_mut().insert(k, v);
                }
                let path = http_path(item.signal.grpc_path());
                match grpc.unary::<_, Bytes, _>(req, path, RawCodec).await {
                    Ok(resp) => Outcome::Ok {
                        rejected: wire::rejected(resp.get_ref()),
                    },
                    Err(status) => Outcome::Failed(format!("{:?}", status.code())),
                }
            }
            Inner::Http(sender) => {
                if sender.as_ref().is_none_or(|s| s.is_closed()) {
                    match connect_http(opts.addr).await {
                        Ok(s) => *sender = Some(s),
                        Err(_) => return Outcome::Failed("transport".into()),
                    }
                }
                let s = sender.as_mut().expect("connected above");
                let mut req = hyper::Request::post(item.signal.http_path())
                    .header(hyper::header::HOST, opts.addr.to_string())
                    .header(hyper::header::CONTENT_TYPE, "application/x-protobuf");
                if let Some(h) = &opts.tenant_header {
                    req = req.header(h.as_str(), item.tenant.as_str());
                }
                let Ok(req) = req.body(Full::new(out.pieces())) else {
                    return Outcome::Failed("bad request".into());
                };
                let result = async {
                    s.ready().await?;
                    let resp = s.send_request(req).await?;
                    let status = resp.status();
                    let body = resp.into_body().collect().await?.to_bytes();
                    Ok::<_, hyper::Error>((status, body))
                }
                .await;
                match result {
                    Ok((status, body)) if status.is_success() => Outcome::Ok {
                        rejected: wire::rejected(&body),
                    },
                    Ok((status, _)) => Outcome::Failed(format!("HTTP {}", status.as_u16())),
                    Err(_) => {
                        *sender = None;
                        Outcome::Failed("transport".into())
                    }
                }
            }
        }
    }
}

fn http_path(p: &'static str) -> hyper::http::uri::PathAndQuery {
    hyper::http::uri::PathAndQuery::from_static(p)
}

async fn connect_http(addr: SocketAddr) -> anyhow::Result<SendRequest<HttpBody>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}
