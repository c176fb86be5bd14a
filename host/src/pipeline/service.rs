//! The plugin chain as an async service for the network path: worker threads (each with its
//! own plugin instances) take batches from a bounded queue and answer on a oneshot channel.
//! A full queue makes `run` wait, which is back-pressure on the receiving request.

use super::live::LiveChain;
use super::{BatchState, Chain, ChainOutcome};
use crate::metrics::Metrics;
use crate::otlp::Payload;
use crate::plugin::LoadError;
use crate::router::Destinations;
use std::sync::Arc;
use tokio::sync::oneshot;

struct Job {
    payload: Payload,
    reply: oneshot::Sender<ChainOutcome>,
}

/// A handle to the running workers; cheap to clone. Workers stop when every handle is gone.
#[derive(Clone)]
pub struct PipelineService {
    jobs: async_channel::Sender<Job>,
    live: Arc<LiveChain>,
    destinations: Arc<Destinations>,
}

/// The chain stopped (shutdown) before answering.
#[derive(Debug, thiserror::Error)]
#[error("the pipeline is shutting down")]
pub struct Stopped;

impl PipelineService {
    /// Starts `workers` threads, each with one instance of every plugin of the live chain;
    /// a worker moves to a new chain version between two batches.
    pub fn start(
        workers: usize,
        live: &Arc<LiveChain>,
        destinations: &Arc<Destinations>,
        metrics: Arc<Metrics>,
    ) -> Result<(Self, Vec<std::thread::JoinHandle<()>>), LoadError> {
        let workers = workers.max(1);
        let (tx, rx) = async_channel::bounded::<Job>(workers * 4);
        let mut handles = Vec::with_capacity(workers);
        // Each worker starts its own instances on its own thread: `init` may use WASI, whose
        // synchronous bindings must not run on an async runtime's thread (which `start` is
        // called from), and the workers start in parallel.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), LoadError>>();
        for i in 0..workers {
            let (rx, destinations, live) = (rx.clone(), destinations.clone(), live.clone());
            let (metrics, ready) = (metrics.clone(), ready_tx.clone());
            let handle = std::thread::Builder::new()
                .name(format!("sluice-worker-{i}"))
                .spawn(move || {
                    let version = live.current();
                    let mut chain = match Chain::new(&version.plugins, Some(metrics))
                        .and_then(|mut c| c.update(&version).map(|()| c))
                    {
                        Ok(chain) => {
                            let _ = ready.send(Ok(()));
                            chain
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    while let Ok(job) = rx.recv_blocking() {
                        if chain.generation() != live.generation() {
                            let version = live.current();
                            if let Err(e) = chain.update(&version) {
                                // The reloader started an instance of every new stage before
                                // publishing, so this is resource exhaustion; retried next batch.
                                tracing::error!(
                                    generation = version.generation,
                                    "worker stays on the previous chain: {e}"
                                );
                            }
                        }
                        let outcome = chain.run(BatchState::new(job.payload, destinations.clone()));
                        // The requester may have gone (client timeout); the outcome is dropped.
                        let _ = job.reply.send(outcome);
                    }
                })
                .map_err(|e| LoadError::Setup {
                    plugin: "*".into(),
                    reason: format!("cannot start a worker thread: {e}"),
                })?;
            handles.push(handle);
        }
        drop(ready_tx);
        for _ in 0..workers {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    // Stop the workers that did start.
                    tx.close();
                    return Err(e);
                }
                Err(_) => break,
            }
        }
        let service = PipelineService {
            jobs: tx,
            live: live.clone(),
            destinations: destinations.clone(),
        };
        Ok((service, handles))
    }

    /// Whether the live chain has a stage that wants `signal` (else the chain would pass its
    /// records on untouched).
    pub fn wants(&self, signal: sluice_plugin_sdk::Signal) -> bool {
        self.live.wants(signal)
    }

    /// The destinations and routes the chain starts records on.
    pub fn destinations(&self) -> &Arc<Destinations> {
        &self.destinations
    }

    /// Runs one payload through the chain.
    pub async fn run(&self, payload: Payload) -> Result<ChainOutcome, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { payload, reply })
            .await
            .map_err(|_| Stopped)?;
        answer.await.map_err(|_| Stopped)
    }

    /// Whether [`Self::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.jobs.is_closed()
    }

    /// Stops taking new jobs; workers finish the queued ones and exit.
    pub fn close(&self) {
        self.jobs.close();
    }
}
