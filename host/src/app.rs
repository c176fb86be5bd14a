//! Building the running pipeline from a validated config: the plugin runtime, every plugin
//! loaded and checked, the destinations and the quarantine.

use crate::config::Config;
use crate::config::plugin_dir::StageFileError;
use crate::plugin::{LoadError, LoadedPlugin, Runtime, RuntimeOptions};
use crate::quarantine::Quarantine;
use crate::router::Destinations;
use std::sync::Arc;

/// Everything a pipeline run needs, built once.
pub struct App {
    /// The config it was built from.
    pub config: Config,
    /// The config file it was read from, if any (watched by `sluice run`).
    pub config_path: Option<std::path::PathBuf>,
    /// The plugin engine, shared with the reloader.
    pub runtime: Arc<Runtime>,
    /// The chain, in order.
    pub plugins: Vec<Arc<LoadedPlugin>>,
    /// The destinations and default route.
    pub destinations: Arc<Destinations>,
    /// Where `fail_closed` batches go.
    pub quarantine: Quarantine,
    /// Worker threads.
    pub workers: usize,
}

/// Why the pipeline could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Wasm engine could not start.
    #[error("cannot start the plugin runtime: {0}")]
    Runtime(String),
    /// A plugin could not be loaded.
    #[error(transparent)]
    Plugin(#[from] LoadError),
    /// A file in the plugin folder cannot be a stage.
    #[error("plugin folder:{}", .0.iter().map(|e| format!("\n  - {e}")).collect::<String>())]
    PluginDir(Vec<StageFileError>),
}

impl App {
    /// Loads every plugin of `config` (compiling, checking the contract and running `init`).
    pub fn build(config: Config) -> Result<Self, BuildError> {
        let workers = match config.runtime.workers {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            n => n,
        };
        let mut options = RuntimeOptions::default();
        if let Some(dir) = &config.runtime.cache_dir {
            options.cache_dir = Some(dir.clone());
        }
        // Room for every worker's instances and a validation instance per stage, twice over
        // so a reload can start a whole new chain while the old one still runs.
        let stages = config.plugins.len() + config.plugin_dir.as_ref().map_or(0, |d| d.max_stages);
        options.max_instances = ((workers + 1) * stages.max(1) * 2) as u32 + 8;
        options.trusted_sha256 = config.trust.plugin_sha256.clone();
        options.profiler = config.runtime.profiler;
        if let Some(dir) = &config.plugin_dir
            && !dir.path.exists()
        {
            std::fs::create_dir_all(&dir.path).map_err(|e| {
                BuildError::Runtime(format!(
                    "plugin_dir.path: cannot create {}: {e}",
                    dir.path.display()
                ))
            })?;
        }
        let chain = crate::reload::declared_chain(&config).map_err(BuildError::PluginDir)?;
        let runtime = Runtime::new(options).map_err(|e| BuildError::Runtime(format!("{e:#}")))?;
        let destinations = Arc::new(Destinations::from_config(&config));
        let plugins = chain
            .iter()
            .map(|p| LoadedPlugin::load(&runtime, p, destinations.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        for p in &plugins {
            tracing::info!(plugin = %p.name, name = %p.info.name, version = %p.info.version, source = %p.source, sha256 = %p.sha256, "plugin loaded");
        }
        let quarantine = Quarantine::new(config.runtime.quarantine_dir.clone());
        Ok(App {
            config,
            config_path: None,
            runtime: Arc::new(runtime),
            plugins,
            destinations,
            quarantine,
            workers,
        })
    }
}
