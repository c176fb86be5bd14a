//! The chain that is live now, swapped atomically between batches by a reload: workers
//! compare a generation number before each batch (one atomic load) and pick up the new
//! version only when it changed, so batches in flight finish on the chain they started on.

use crate::plugin::LoadedPlugin;
use sluice_plugin_sdk::Signal;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// One version of the chain.
pub struct ChainVersion {
    /// Starts at 1 and grows by one per swap.
    pub generation: u64,
    /// The stages, in order.
    pub plugins: Vec<Arc<LoadedPlugin>>,
}

/// The current chain version, shared by the workers and the reloader.
pub struct LiveChain {
    generation: AtomicU64,
    /// The signals some stage of the current version wants, one bit each ([`signal_bit`]).
    wanted: AtomicU8,
    current: RwLock<Arc<ChainVersion>>,
}

impl LiveChain {
    /// Generation 1 with these stages.
    pub fn new(plugins: Vec<Arc<LoadedPlugin>>) -> Self {
        LiveChain {
            generation: AtomicU64::new(1),
            wanted: AtomicU8::new(wanted(&plugins)),
            current: RwLock::new(Arc::new(ChainVersion {
                generation: 1,
                plugins,
            })),
        }
    }

    /// The current generation; cheap enough to read before every batch.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether a stage of the current version wants `signal`'s records. When none does, the
    /// chain would hand them on untouched, so the receivers need not decode them.
    pub fn wants(&self, signal: Signal) -> bool {
        self.wanted.load(Ordering::Acquire) & signal_bit(signal) != 0
    }

    /// The current version.
    pub fn current(&self) -> Arc<ChainVersion> {
        // A poisoned lock only means a panic elsewhere while swapping an `Arc`; the value
        // inside is always a whole version.
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes `plugins` the live chain and returns its generation.
    pub fn publish(&self, plugins: Vec<Arc<LoadedPlugin>>) -> u64 {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let generation = current.generation + 1;
        self.wanted.store(wanted(&plugins), Ordering::Release);
        *current = Arc::new(ChainVersion {
            generation,
            plugins,
        });
        // Published under the lock, so a worker that sees the new number reads the new chain.
        self.generation.store(generation, Ordering::Release);
        generation
    }
}

fn signal_bit(signal: Signal) -> u8 {
    match signal {
        Signal::Span => 1,
        Signal::Log => 2,
        Signal::MetricPoint => 4,
    }
}

/// The signals any of `plugins` wants, as bits.
fn wanted(plugins: &[Arc<LoadedPlugin>]) -> u8 {
    plugins
        .iter()
        .flat_map(|p| &p.info.signals)
        .fold(0, |bits, s| bits | signal_bit(*s))
}
