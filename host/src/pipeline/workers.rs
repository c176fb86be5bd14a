//! Spreading batches over worker threads, each with its own plugin instances (instances are
//! single-threaded), while handing results back in input order.

use super::{BatchState, Chain, ChainOutcome};
use crate::otlp::Payload;
use crate::plugin::{LoadError, LoadedPlugin};
use crate::router::Destinations;
use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

/// Processes `inputs` on `workers` threads and calls `sink` with each result in input order.
/// An input that is already an error (a malformed line) passes straight through to `sink`.
pub fn run_ordered<K, I, S>(
    workers: usize,
    plugins: &[Arc<LoadedPlugin>],
    destinations: &Arc<Destinations>,
    inputs: I,
    mut sink: S,
) -> Result<(), LoadError>
where
    K: Send,
    I: Iterator<Item = (K, Result<Payload, String>)> + Send,
    S: FnMut(K, Result<ChainOutcome, String>),
{
    let workers = workers.max(1);
    // Instances are created up front so a plugin that cannot start fails before any input is read.
    let chains: Vec<Chain> = (0..workers)
        .map(|_| Chain::new(plugins, None))
        .collect::<Result<_, _>>()?;
    std::thread::scope(|scope| {
        let (in_tx, in_rx) = sync_channel::<(u64, K, Result<Payload, String>)>(workers * 2);
        let in_rx: Arc<Mutex<Receiver<_>>> = Arc::new(Mutex::new(in_rx));
        let (out_tx, out_rx) = sync_channel::<(u64, K, Result<ChainOutcome, String>)>(workers * 4);
        for mut chain in chains {
            let (in_rx, out_tx) = (in_rx.clone(), out_tx.clone());
            let destinations = destinations.clone();
            scope.spawn(move || {
                loop {
                    // The lock is held only while taking the next job, not while processing it.
                    let job = in_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, key, input))) = job else {
                        break;
                    };
                    let result = input
                        .map(|payload| chain.run(BatchState::new(payload, destinations.clone())));
                    if out_tx.send((seq, key, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(out_tx);
        scope.spawn(move || {
            for (seq, (key, input)) in inputs.enumerate() {
                if in_tx.send((seq as u64, key, input)).is_err() {
                    break;
                }
            }
        });
        let mut pending = BTreeMap::new();
        let mut next = 0u64;
        for (seq, key, result) in out_rx {
            pending.insert(seq, (key, result));
            while let Some((key, result)) = pending.remove(&next) {
                sink(key, result);
                next += 1;
            }
        }
    });
    Ok(())
}
