//! The shared wasmtime engine: pooling allocator, epoch interruption driven by a ticker
//! thread, the linker with WASI and the batch interface, and the compile cache.

use super::cache::CompileCache;
use super::host::Plugin;
use super::store::StoreState;
use crate::config::Profiler;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy,
};

/// How often the engine's epoch advances; a call's deadline is rounded up to this.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Engine settings that depend on the deployment.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Compiled-component cache directory; `None` disables caching.
    pub cache_dir: Option<PathBuf>,
    /// Upper bound on live instances at once (workers x stages, plus spares for swaps).
    pub max_instances: u32,
    /// Digests of the plugin files allowed to load; empty allows any.
    pub trusted_sha256: Vec<String>,
    /// Which profiler is told the compiled functions' names.
    pub profiler: Profiler,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            cache_dir: default_cache_dir(),
            max_instances: 256,
            trusted_sha256: Vec::new(),
            profiler: Profiler::None,
        }
    }
}

/// `$XDG_CACHE_HOME/sluice/plugins`, else `~/.cache/sluice/plugins`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("sluice").join("plugins"))
}

/// The engine every plugin of the process runs on.
pub struct Runtime {
    pub(super) engine: Engine,
    pub(super) linker: Linker<StoreState>,
    pub(super) cache: CompileCache,
    trusted: std::collections::HashSet<String>,
    stop_ticker: Arc<AtomicBool>,
}

impl Runtime {
    /// Builds the engine and starts the epoch ticker.
    pub fn new(options: RuntimeOptions) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        config.profiler(match options.profiler {
            Profiler::None => ProfilingStrategy::None,
            Profiler::PerfMap => ProfilingStrategy::PerfMap,
        });
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling(
            options.max_instances,
        )));
        let engine = Engine::new(&config)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        Plugin::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;

        let stop_ticker = Arc::new(AtomicBool::new(false));
        let (weak, stop) = (engine.weak(), stop_ticker.clone());
        std::thread::Builder::new()
            .name("sluice-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(Runtime {
            engine,
            linker,
            cache: CompileCache::new(options.cache_dir),
            trusted: options
                .trusted_sha256
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
            stop_ticker,
        })
    }

    /// Whether a plugin file with this digest may load.
    pub fn trusts(&self, sha256: &str) -> bool {
        self.trusted.is_empty() || self.trusted.contains(sha256)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

/// Instances come from pre-reserved slots, so creating one after a failure costs
/// microseconds. Slots are sized for the largest plugins we run (a componentize-py
/// component has a dozen core instances and tens of thousands of table entries); the
/// per-plugin memory cap is enforced by the store's limiter, not here.
fn pooling(max_instances: u32) -> PoolingAllocationConfig {
    let mut p = PoolingAllocationConfig::default();
    p.total_component_instances(max_instances)
        .total_core_instances(max_instances * 16)
        .total_memories(max_instances * 2)
        .total_tables(max_instances * 16)
        .total_stacks(max_instances)
        .max_core_instances_per_component(64)
        .max_memories_per_component(4)
        .max_tables_per_component(32)
        .table_elements(200_000)
        .max_memory_size(4 << 30)
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(4 << 20);
    p
}
