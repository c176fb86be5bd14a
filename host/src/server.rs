//! `sluice run`: receivers, the plugin chain on worker threads, per-destination queues and
//! the admin endpoint, until a shutdown signal; then stop accepting, drain, exit.

use crate::admin::{self, Readiness};
use crate::app::App;
use crate::config::ReceiverConfig;
use crate::export::exports::Exports;
use crate::filemode::{InputFormat, read_input};
use crate::ingest::{Ingest, RequestContext};
use crate::metrics::Metrics;
use crate::pipeline::live::LiveChain;
use crate::pipeline::service::PipelineService;
use crate::reload::{self, PluginStatus, Reloader};
use crate::tenancy::Tenancy;
use crate::tracebuf::TraceBuffer;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A destination's exporter could not be built.
    #[error("{0}")]
    Exporter(String),
    /// The workers could not start.
    #[error(transparent)]
    Plugin(#[from] crate::plugin::LoadError),
    /// A listener could not bind.
    #[error("{0}")]
    Listen(String),
}

/// Runs until `shutdown` is cancelled (or, with only file receivers, until they are read).
pub async fn run(app: App, shutdown: CancellationToken) -> Result<(), ServerError> {
    let config = &app.config;
    let spend = crate::spend::Spend::from_config(config);
    let metrics = Arc::new(Metrics::with_spend(config.admin.tenant_label_cap, spend));
    let exports = Arc::new(Exports::start(config, &metrics).map_err(ServerError::Exporter)?);
    // Spend as OTLP metrics: every interval, and once more after the last batch (below).
    let spend_stop = CancellationToken::new();
    let spend_export = crate::spend::export::SpendExport::from_config(config).map(|e| {
        Arc::new(e).spawn(
            metrics.clone(),
            exports.clone(),
            spend_stop.clone(),
            Duration::from_millis(config.admin.shutdown_timeout_ms),
        )
    });
    let live = Arc::new(LiveChain::new(app.plugins.clone()));
    // The wire path's schema is built from descriptors on first use: before the first
    // request rather than during it.
    crate::otlp::wire::schema::otlp();
    let (pipeline, workers) =
        PipelineService::start(app.workers, &live, &app.destinations, metrics.clone())?;
    let plugin_status = Arc::new(PluginStatus::default());
    let reloader = Reloader::new(
        app.runtime.clone(),
        app.destinations.clone(),
        live.clone(),
        plugin_status.clone(),
        metrics.clone(),
        config.clone(),
        app.config_path.clone(),
    );
    // The plugin folder and the config file are watched; with neither there is nothing to do.
    let _watch = if config.plugin_dir.is_some() || app.config_path.is_some() {
        Some(reload::watch(reloader).map_err(|e| ServerError::Listen(e.to_string()))?)
    } else {
        None
    };
    let quarantine = Arc::new(crate::quarantine::Quarantine::new(
        config.runtime.quarantine_dir.clone(),
    ));
    let mut ingest = Ingest::new(
        Tenancy::new(&config.tenancy),
        pipeline.clone(),
        exports.clone(),
        metrics.clone(),
        quarantine,
        app.destinations.list().len(),
    );
    let releasing = CancellationToken::new();
    let mut releaser = None;
    if let Some(tb) = &config.trace_buffer {
        let buffer = Arc::new(TraceBuffer::new(tb.clone()));
        ingest = ingest.with_trace_buffer(buffer.clone());
        releaser = Some(tokio::spawn(release_traces(
            ingest.clone(),
            buffer,
            metrics.clone(),
            Duration::from_millis(tb.decision_wait_ms),
            releasing.clone(),
        )));
    }

    let ready = Arc::new(Readiness::default());
    let (admin_addr, admin_task) = admin::serve(
        config.admin.address,
        metrics.clone(),
        ready.clone(),
        plugin_status,
        shutdown.clone(),
    )
    .await
    .map_err(|e| ServerError::Listen(e.to_string()))?;
    tracing::info!(address = %admin_addr, "admin endpoint listening");

    let receiving = CancellationToken::new();
    let mut tasks = Vec::new();
    let mut network = 0;
    for r in &config.receivers {
        match r {
            ReceiverConfig::File { path } => {
                let (ingest, path) = (ingest.clone(), path.clone());
                tasks.push(tokio::task::spawn_blocking(move || {
                    feed_file(&path, &ingest)
                }));
            }
            other => {
                network += 1;
                let bound = crate::receiver::serve(other, ingest.clone(), receiving.clone())
                    .await
                    .map_err(|e| ServerError::Listen(e.to_string()))?;
                tracing::info!(address = %bound.address, receiver = bound.kind, "receiver listening");
                tasks.push(bound.handle);
            }
        }
    }
    ready.set(true);

    if network == 0 {
        // Only files: done when they are read.
        for t in tasks.drain(..) {
            let _ = t.await;
        }
    } else {
        shutdown.cancelled().await;
    }
    tracing::info!("shutting down: no longer accepting; draining queues");
    ready.set(false);
    receiving.cancel();
    for t in tasks {
        let _ = t.await;
    }
    // Held traces go through the chain before it stops.
    releasing.cancel();
    if let Some(r) = releaser {
        let _ = r.await;
    }
    pipeline.close();
    drop(ingest);
    let _ =
        tokio::task::spawn_blocking(move || workers.into_iter().for_each(|w| drop(w.join()))).await;
    // Every batch has been counted: the final spend export goes on the queues before they drain.
    spend_stop.cancel();
    if let Some(task) = spend_export {
        let _ = task.await;
    }
    exports
        .shutdown(Duration::from_millis(config.admin.shutdown_timeout_ms))
        .await;
    shutdown.cancel();
    let _ = admin_task.await;
    tracing::info!("stopped");
    Ok(())
}

/// Releases the trace buffer's due traces every tick (a tenth of the decision wait, within
/// 10..=250 ms), and everything at shutdown.
async fn release_traces(
    ingest: Ingest,
    buffer: Arc<TraceBuffer>,
    metrics: Arc<Metrics>,
    wait: Duration,
    stop: CancellationToken,
) {
    let tick = (wait / 10).clamp(Duration::from_millis(10), Duration::from_millis(250));
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => ingest.release_traces(false).await,
            _ = stop.cancelled() => break,
        }
        metrics.trace_buffer(buffer.stats());
    }
    ingest.release_traces(true).await;
}

/// Reads a file receiver's input and submits it batch by batch, in order.
fn feed_file(path: &str, ingest: &Ingest) {
    let handle = tokio::runtime::Handle::current();
    let input = match read_input(path, InputFormat::Auto, None) {
        Ok(i) => i,
        Err(e) => {
            tracing::error!("file receiver: {e}");
            return;
        }
    };
    for (origin, item) in input {
        match item {
            Err(e) => {
                tracing::error!(file = %origin.file, line = origin.line, "skipping malformed input: {e}")
            }
            Ok(payload) => {
                if let Err(e) = handle.block_on(ingest.submit(RequestContext::default(), payload)) {
                    tracing::error!(file = %origin.file, line = origin.line, "input not accepted: {e}");
                }
            }
        }
    }
}
