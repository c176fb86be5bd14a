//! A capture receiver: a real OTLP/gRPC server (tonic, the generated collector services) on
//! 127.0.0.1 that records every request it gets (its metadata and records) and answers as
//! told: success, a failure for its first N requests (any gRPC code, with or without a
//! `google.rpc.RetryInfo`), a delay, or no answer at all.
//!
//! It runs on its own tokio runtime, so the (synchronous) tests can poll it while the real
//! `sluice` process exports to it.

mod otlp;

pub use otlp::Rec;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsServiceServer;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsServiceServer;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
use otlp::{Svc, failure};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::codec::CompressionEncoding;
use tonic::{Code, Status};

/// How a capture receiver answers.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Fail this many requests first (`usize::MAX`: every one).
    pub fail_first: usize,
    /// With this code.
    pub code: Code,
    /// And a `google.rpc.RetryInfo` asking for this delay.
    pub retry_after: Option<Duration>,
    /// Wait this long before answering anything.
    pub delay: Duration,
    /// Never answer.
    pub hang: bool,
}

impl Behaviour {
    /// Accepts everything at once.
    pub fn ok() -> Self {
        Behaviour {
            fail_first: 0,
            code: Code::Ok,
            retry_after: None,
            delay: Duration::ZERO,
            hang: false,
        }
    }

    /// Fails the first `n` requests with `code`.
    pub fn failing(n: usize, code: Code) -> Self {
        Behaviour {
            fail_first: n,
            code,
            ..Self::ok()
        }
    }

    /// Never answers.
    pub fn hanging() -> Self {
        Behaviour {
            hang: true,
            ..Self::ok()
        }
    }
}

/// How a request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accepted.
    Ok,
    /// Failed with this code.
    Failed(Code),
    /// Not answered (still hanging, or the client gave up).
    Hung,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// Its metadata, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Its records.
    pub records: Vec<Rec>,
    /// How it was answered.
    pub answer: Answer,
}

impl Received {
    /// The value of metadata `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    behaviour: Behaviour,
    received: Mutex<Vec<Received>>,
}

impl State {
    async fn handle(
        &self,
        metadata: &tonic::metadata::MetadataMap,
        records: Vec<Rec>,
    ) -> Result<(), Status> {
        let headers = metadata
            .clone()
            .into_headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().unwrap_or("<binary>").to_string(),
                )
            })
            .collect();
        let b = &self.behaviour;
        let index = {
            let mut received = self.received.lock().unwrap();
            let answer = if b.hang {
                Answer::Hung
            } else if received.len() < b.fail_first {
                Answer::Failed(b.code)
            } else {
                Answer::Ok
            };
            received.push(Received {
                at: Instant::now(),
                headers,
                records,
                answer,
            });
            received.len() - 1
        };
        if b.hang {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(b.delay).await;
        match self.received.lock().unwrap()[index].answer {
            Answer::Failed(code) => Err(failure(code, b.retry_after)),
            _ => Ok(()),
        }
    }
}

/// A running capture receiver; stops when dropped.
pub struct Capture {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Capture {
    /// Starts a receiver on 127.0.0.1, on a free port.
    pub fn start(behaviour: Behaviour) -> Capture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("start the capture receiver's runtime");
        let state = Arc::new(State {
            behaviour,
            received: Mutex::new(Vec::new()),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind the capture receiver");
        let addr = listener.local_addr().expect("capture receiver address");
        let svc = Svc(state.clone());
        let gz = CompressionEncoding::Gzip;
        let zstd = CompressionEncoding::Zstd;
        let router = tonic::transport::Server::builder()
            .add_service(
                TraceServiceServer::new(svc.clone())
                    .accept_compressed(gz)
                    .accept_compressed(zstd),
            )
            .add_service(
                LogsServiceServer::new(svc.clone())
                    .accept_compressed(gz)
                    .accept_compressed(zstd),
            )
            .add_service(
                MetricsServiceServer::new(svc)
                    .accept_compressed(gz)
                    .accept_compressed(zstd),
            );
        let _guard = runtime.enter();
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        runtime.spawn(async move {
            if let Err(e) = router.serve_with_incoming(incoming).await {
                eprintln!("capture receiver on {addr} failed: {e}");
            }
        });
        Capture {
            addr,
            state,
            runtime: Some(runtime),
        }
    }

    /// The endpoint to configure in an `otlp_grpc` destination.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The records of the requests it accepted, sorted.
    pub fn delivered(&self) -> Vec<Rec> {
        let mut out: Vec<Rec> = self
            .requests()
            .into_iter()
            .filter(|r| r.answer == Answer::Ok)
            .flat_map(|r| r.records)
            .collect();
        out.sort();
        out
    }

    /// Polls until `done` holds for the requests so far; panics after `timeout`, saying
    /// what was awaited and what arrived.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {timeout:?}; the capture receiver got {requests:#?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls until `n` records were accepted.
    pub fn wait_for_records(&self, n: usize, timeout: Duration) -> Vec<Rec> {
        let what = format!(
            "{n} records accepted by the capture receiver on {}",
            self.addr
        );
        self.wait_until(&what, timeout, |reqs| {
            reqs.iter()
                .filter(|r| r.answer == Answer::Ok)
                .map(|r| r.records.len())
                .sum::<usize>()
                >= n
        });
        self.delivered()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // Hanging handlers never finish: do not wait for them.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
