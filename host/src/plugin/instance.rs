//! Loading a plugin (compile, check the contract, run `init` once to validate its config)
//! and running instances of it, with the memory cap and per-call deadline of its config.

use super::cache::sha256_hex;
use super::engine::{EPOCH_TICK, Runtime};
use super::error::{CallFailure, LoadError};
use super::host::{PluginPre, signal_in};
use super::store::{BatchHandle, MemoryCap, StoreState, wasi_context};
use crate::config::{FailurePolicy, Grants, PluginConfig};
use crate::pipeline::BatchState;
use crate::router::Destinations;
use sluice_plugin_sdk::Info;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::Resource;
use wasmtime::{Engine, Store, Trap};

/// `init` may do real work (parse a pricing table, compile regexes), so it gets at least this.
const MIN_INIT_DEADLINE: Duration = Duration::from_secs(10);

/// Where a plugin's component came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Embedded in the binary.
    Builtin(String),
    /// A file on disk.
    File(PathBuf),
}

impl std::fmt::Display for PluginSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PluginSource::Builtin(n) => write!(f, "builtin:{n}"),
            PluginSource::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A compiled plugin whose contract and config have been checked; instances are cheap to
/// make from it.
pub struct LoadedPlugin {
    /// The stage name from the config.
    pub name: String,
    /// What the plugin said about itself at init.
    pub info: Info,
    /// The component's sha256.
    pub sha256: String,
    /// Where it came from.
    pub source: PluginSource,
    /// What happens to a batch it fails on.
    pub policy: FailurePolicy,
    /// The stage settings it was built from.
    pub stage: PluginConfig,
    /// When it was loaded.
    pub loaded_at: std::time::SystemTime,
    /// Its calls, failures and latency since it was loaded.
    pub stats: super::stats::CallStats,
    pre: PluginPre<StoreState>,
    engine: Engine,
    config: String,
    memory_mib: u64,
    timeout_ms: u64,
    grants: Grants,
    destinations: Arc<Destinations>,
}

impl LoadedPlugin {
    /// Compiles (or fetches from the cache) and validates the plugin a config stage names.
    pub fn load(
        runtime: &Runtime,
        cfg: &PluginConfig,
        destinations: Arc<Destinations>,
    ) -> Result<Arc<Self>, LoadError> {
        Self::load_or_reuse(runtime, cfg, destinations, &[])
    }

    /// Like [`LoadedPlugin::load`], but returns a plugin of `running` unchanged when it was
    /// built from the same stage settings and the same component bytes, so a reload keeps
    /// the instances (and their state) of every stage it does not touch.
    pub fn load_or_reuse(
        runtime: &Runtime,
        cfg: &PluginConfig,
        destinations: Arc<Destinations>,
        running: &[Arc<LoadedPlugin>],
    ) -> Result<Arc<Self>, LoadError> {
        let name = cfg.name.clone();
        let (bytes, source, default_config): (std::borrow::Cow<'_, [u8]>, _, _) =
            match (&cfg.builtin, &cfg.path) {
                (Some(b), _) => {
                    let (bytes, dflt) = super::builtin::get(b).ok_or_else(|| LoadError::Setup {
                        plugin: name.clone(),
                        reason: format!("unknown built-in plugin `{b}`"),
                    })?;
                    (bytes.into(), PluginSource::Builtin(b.clone()), dflt)
                }
                (None, Some(path)) => {
                    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
                        plugin: name.clone(),
                        path: path.display().to_string(),
                        source,
                    })?;
                    (bytes.into(), PluginSource::File(path.clone()), "")
                }
                (None, None) => {
                    return Err(LoadError::Setup {
                        plugin: name,
                        reason: "no `builtin` or `path` set".into(),
                    });
                }
            };
        let sha256 = sha256_hex(&bytes);
        let config = effective_config(cfg, default_config)?;
        if let Some(same) = running
            .iter()
            .find(|p| p.stage == *cfg && p.sha256 == sha256 && p.config == config)
        {
            return Ok(same.clone());
        }
        Self::from_bytes(runtime, &bytes, source, cfg, config, destinations)
    }

    /// Like [`LoadedPlugin::load`], with the component bytes and config text given.
    pub fn from_bytes(
        runtime: &Runtime,
        bytes: &[u8],
        source: PluginSource,
        cfg: &PluginConfig,
        config: String,
        destinations: Arc<Destinations>,
    ) -> Result<Arc<Self>, LoadError> {
        let name = cfg.name.clone();
        let sha256 = sha256_hex(bytes);
        if let PluginSource::File(path) = &source
            && !runtime.trusts(&sha256)
        {
            return Err(LoadError::Untrusted {
                plugin: name,
                path: path.display().to_string(),
                sha256,
            });
        }
        let component = runtime
            .cache
            .load(&runtime.engine, bytes, &sha256)
            .map_err(|e| LoadError::Compile {
                plugin: name.clone(),
                reason: format!("{e:#}"),
            })?;
        let contract = |e: wasmtime::Error| LoadError::Contract {
            plugin: name.clone(),
            reason: format!("{e:#}"),
        };
        let pre = runtime
            .linker
            .instantiate_pre(&component)
            .map_err(contract)?;
        let pre = PluginPre::new(pre).map_err(contract)?;
        let mut loaded = LoadedPlugin {
            name: name.clone(),
            info: Info::new("", "", &[]),
            sha256,
            source,
            policy: cfg.on_error,
            stage: cfg.clone(),
            loaded_at: std::time::SystemTime::now(),
            stats: Default::default(),
            pre,
            engine: runtime.engine.clone(),
            config,
            memory_mib: cfg.memory_mib,
            timeout_ms: cfg.timeout_ms,
            grants: cfg.grants.clone(),
            destinations,
        };
        // Validate now, off the hot path: a plugin that refuses its config never enters a chain.
        let (_, info) = loaded.start()?;
        loaded.info = info;
        Ok(Arc::new(loaded))
    }

    /// A new instance, initialised with the plugin's config.
    fn start(&self) -> Result<(Store<StoreState>, Info), LoadError> {
        let setup = |reason: String| LoadError::Setup {
            plugin: self.name.clone(),
            reason,
        };
        let wasi = wasi_context(&self.grants).map_err(setup)?;
        let state = StoreState {
            wasi,
            table: Default::default(),
            limits: MemoryCap {
                max_bytes: (self.memory_mib as usize) << 20,
                hit: false,
            },
            batch: None,
            destinations: self.destinations.clone(),
            bindings: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_trap();
        let init_deadline = Duration::from_millis(self.timeout_ms).max(MIN_INIT_DEADLINE);
        store.set_epoch_deadline(ticks(init_deadline));
        let init = |reason: String| LoadError::Init {
            plugin: self.name.clone(),
            reason,
        };
        let bindings = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| init(self.describe(&store, &e, init_deadline).to_string()))?;
        let info = bindings
            .call_init(&mut store, &self.config)
            .map_err(|e| init(self.describe(&store, &e, init_deadline).to_string()))?
            .map_err(init)?;
        let info = Info {
            name: info.name,
            version: info.version,
            signals: info.signals.into_iter().map(signal_in).collect(),
        };
        store.data_mut().bindings = Some(bindings);
        Ok((store, info))
    }

    /// A ready instance for a worker.
    pub fn instantiate(self: &Arc<Self>) -> Result<PluginInstance, LoadError> {
        let (store, _) = self.start()?;
        Ok(PluginInstance {
            plugin: self.clone(),
            store: Some(store),
        })
    }

    fn describe(
        &self,
        store: &Store<StoreState>,
        e: &wasmtime::Error,
        deadline: Duration,
    ) -> CallFailure {
        if store.data().limits.hit {
            CallFailure::OutOfMemory {
                mib: self.memory_mib,
            }
        } else if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            CallFailure::Timeout {
                ms: deadline.as_millis() as u64,
            }
        } else {
            // The root cause is the trap itself ("wasm `unreachable` instruction executed");
            // the backtrace above it goes to debug logs only, one event per failure.
            tracing::debug!(plugin = %self.name, "plugin trap: {e:?}");
            CallFailure::Trap(e.root_cause().to_string())
        }
    }
}

/// The config text `init` gets: `config_file`'s table with `config`'s keys over it, else
/// `config`, else the built-in's default (empty for files).
fn effective_config(cfg: &PluginConfig, default_config: &str) -> Result<String, LoadError> {
    let setup = |reason: String| LoadError::Setup {
        plugin: cfg.name.clone(),
        reason,
    };
    let mut table = match &cfg.config_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| setup(format!("config_file: cannot read {}: {e}", path.display())))?;
            text.parse::<toml::Table>().map_err(|e| {
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                setup(format!(
                    "config_file: {}{}: {}",
                    path.display(),
                    line.map(|l| format!(" line {l}")).unwrap_or_default(),
                    e.message()
                ))
            })?
        }
        None => match &cfg.config {
            Some(_) => toml::Table::new(),
            None => return Ok(default_config.to_string()),
        },
    };
    if let Some(inline) = &cfg.config {
        table.extend(inline.clone());
    }
    toml::to_string(&table).map_err(|e| setup(format!("config: {e}")))
}

fn ticks(d: Duration) -> u64 {
    (d.as_micros() / EPOCH_TICK.as_micros()) as u64 + 1
}

/// One live instance of a plugin, owned by one worker and reused across batches.
pub struct PluginInstance {
    plugin: Arc<LoadedPlugin>,
    /// `None` after a failure that poisoned the instance, until it is replaced.
    store: Option<Store<StoreState>>,
}

impl PluginInstance {
    /// The plugin this is an instance of.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// Runs `process` on a batch. On success the call's edits are applied; on failure none
    /// are, and an instance left in an unknown state is replaced before the next call.
    pub fn process(&mut self, mut batch: BatchState) -> (BatchState, Result<(), CallFailure>) {
        let store = match self.store.take() {
            Some(s) => s,
            None => match self.plugin.start() {
                Ok((s, _)) => s,
                Err(e) => {
                    return (
                        batch,
                        Err(CallFailure::Trap(format!(
                            "cannot replace the failed instance: {e}"
                        ))),
                    );
                }
            },
        };
        let mut store = store;
        let deadline = Duration::from_millis(self.plugin.timeout_ms);
        store.data_mut().limits.hit = false;
        store.data_mut().batch = Some(batch);
        store.set_epoch_deadline(ticks(deadline));
        let result = match store.data_mut().table.push(BatchHandle) {
            Ok(handle) => {
                // Lend the guest a borrow of the handle. Passing the owned `Resource` itself
                // would move it into the store's handle table for good: one leaked handle
                // per call, and a trap once the store's handle limit (100,000) is reached.
                let borrow = Resource::<BatchHandle>::new_borrow(handle.rep());
                let bindings = store.data_mut().bindings.take();
                let r = match &bindings {
                    Some(b) => b
                        .call_process(&mut store, borrow)
                        .map_err(|e| self.plugin.describe(&store, &e, deadline)),
                    None => Err(CallFailure::Trap("instance has no bindings".into())),
                };
                store.data_mut().bindings = bindings;
                let _ = store.data_mut().table.delete(handle);
                r
            }
            Err(e) => Err(CallFailure::Trap(format!("resource table: {e}"))),
        };
        batch = store
            .data_mut()
            .batch
            .take()
            .expect("the batch stays in the store for the whole call");
        let outcome = match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(CallFailure::Error(message)),
            Err(failure) => Err(failure),
        };
        match &outcome {
            Ok(()) => batch.commit(),
            Err(_) => batch.rollback(),
        }
        let keep = match &outcome {
            Ok(()) => true,
            Err(f) => !f.poisons_instance(),
        };
        if keep {
            self.store = Some(store);
        }
        (batch, outcome)
    }
}
