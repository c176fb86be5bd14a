//! File mode (`sluice process`, and `sluice run` with file receivers): OTLP files in, the
//! plugin chain, OTLP JSON lines out — to one `--output`, or to each destination's own file.

use crate::app::App;
use crate::export::exports::Exports;
use crate::export::file::JsonLinesSink;
use crate::export::queue::Enqueue;
use crate::metrics::{DropReason, Metrics};
use crate::otlp::{Payload, json, protobuf};
use crate::pipeline::{ChainOutcome, workers};
use crate::router;
use crate::spend::export::SpendExport;
use sluice_plugin_sdk::Signal;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Where one input came from, for error messages.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file name, or `<stdin>`.
    pub file: String,
    /// 1-based line (JSON lines) or message index (protobuf).
    pub line: usize,
}

/// A stream of decoded inputs, each tagged with where it came from; a malformed one is an
/// error message that flows through in order.
pub type InputStream = Box<dyn Iterator<Item = (Origin, Result<Payload, String>)> + Send>;

/// How to read an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Decide by extension: `.pb`, `.binpb`, `.protobuf` are protobuf, anything else JSON lines.
    Auto,
    /// OTLP JSON lines.
    JsonLines,
    /// OTLP protobuf, of the given signal.
    Protobuf,
}

/// What a run did, for the summary line and the exit code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Input batches read.
    pub batches: usize,
    /// Records written to at least one destination.
    pub records_out: usize,
    /// Records dropped by plugins.
    pub dropped_by_plugins: usize,
    /// Records no destination may receive (dropped, never sent).
    pub unroutable: usize,
    /// Records in batches quarantined by a `fail_closed` plugin.
    pub quarantined: usize,
    /// Records in batches dropped by a failing `drop` plugin.
    pub dropped_on_failure: usize,
    /// Input lines or messages that could not be decoded.
    pub malformed: usize,
    /// Write errors (`--output`, quarantine) and batches a destination never took.
    pub write_errors: usize,
    /// Plugin failures under `fail_open` (the batch passed on unchanged; not a failure of
    /// the run, but worth seeing).
    pub failed_open: usize,
}

impl Summary {
    /// Whether anything failed (what the exit code reports).
    pub fn failed(&self) -> bool {
        self.malformed + self.quarantined + self.dropped_on_failure + self.write_errors > 0
    }
}

/// Reads `path` (`-` is stdin) as a stream of payloads, each tagged with its origin.
pub fn read_input(
    path: &str,
    format: InputFormat,
    signal: Option<Signal>,
) -> Result<InputStream, String> {
    let file = if path == "-" {
        "<stdin>".to_string()
    } else {
        path.to_string()
    };
    let is_proto = match format {
        InputFormat::Protobuf => true,
        InputFormat::JsonLines => false,
        InputFormat::Auto => matches!(
            Path::new(path).extension().and_then(|e| e.to_str()),
            Some("pb" | "binpb" | "protobuf")
        ),
    };
    let reader: Box<dyn BufRead + Send> = if path == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(|e| format!("{file}: cannot open: {e}"))?,
        ))
    };
    if is_proto {
        let signal = signal.ok_or_else(|| {
            format!(
                "{file}: protobuf input does not say its signal; pass --signal traces|logs|metrics"
            )
        })?;
        let mut bytes = Vec::new();
        let mut reader = reader;
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{file}: cannot read: {e}"))?;
        let items: Vec<_> = match protobuf::decode_file(&bytes, signal) {
            Ok(payloads) => payloads
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        Origin {
                            file: file.clone(),
                            line: i + 1,
                        },
                        Ok(p),
                    )
                })
                .collect(),
            Err(e) => vec![(
                Origin {
                    file: file.clone(),
                    line: 1,
                },
                Err(e.to_string()),
            )],
        };
        return Ok(Box::new(items.into_iter()));
    }
    let lines = reader.lines().enumerate().filter_map(move |(i, line)| {
        let origin = Origin {
            file: file.clone(),
            line: i + 1,
        };
        match line {
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(match json::decode_line(&l) {
                Ok(payloads) => payloads
                    .into_iter()
                    .map(|p| (origin.clone(), Ok(p)))
                    .collect::<Vec<_>>(),
                Err(e) => vec![(origin, Err(e.to_string()))],
            }),
            Err(e) => Some(vec![(origin, Err(format!("cannot read: {e}")))]),
        }
    });
    Ok(Box::new(lines.flatten()))
}

/// Runs inputs through the app's chain. With `output`, every record some destination would
/// receive is written there once, in input order; without it, each destination gets its own.
pub fn run(app: &App, inputs: Vec<InputStream>, output: Option<&str>) -> Result<Summary, String> {
    let mut summary = Summary::default();
    let mut out = output.map(JsonLinesSink::replacing);
    // Without --output, records go through the same per-destination queues and exporters
    // as in `sluice run` (files, OTLP), waiting for room instead of rejecting.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the export runtime: {e}"))?;
    let spend = crate::spend::Spend::from_config(&app.config);
    let metrics = Arc::new(Metrics::with_spend(
        app.config.admin.tenant_label_cap,
        spend,
    ));
    let exports = match output {
        Some(_) => None,
        None => Some(runtime.block_on(async { Exports::start(&app.config, &metrics) })?),
    };
    // Spend as OTLP metrics: counted over the whole run, exported once at the end.
    let spend_export = match (&exports, SpendExport::from_config(&app.config)) {
        (Some(_), export) => export,
        (None, Some(export)) => {
            tracing::warn!(
                destination = export.destination(),
                "[spend] export skipped: with --output records go to one file, not to destinations"
            );
            None
        }
        (None, None) => None,
    };
    let n_dest = app.destinations.list().len();
    let stream = inputs.into_iter().flatten();
    workers::run_ordered(app.workers, &app.plugins, &app.destinations, stream, |origin, result| {
        summary.batches += 1;
        match result {
            Err(e) => {
                summary.malformed += 1;
                tracing::error!(file = %origin.file, line = origin.line, "skipping malformed input: {e}");
            }
            Ok(ChainOutcome::Quarantined { plugin, failure, payload, rows }) => {
                summary.quarantined += rows;
                if app.quarantine.put(&plugin, &failure, &payload, rows).is_err() {
                    summary.write_errors += 1;
                }
            }
            Ok(ChainOutcome::Dropped { rows, .. }) => summary.dropped_on_failure += rows,
            Ok(ChainOutcome::Processed(p)) => {
                if spend_export.is_some() {
                    metrics.spend().record(&p.payload);
                }
                summary.dropped_by_plugins += p.dropped;
                summary.failed_open += p.failed_open;
                let routed = p.masks.iter().filter(|m| **m != 0).count();
                summary.unroutable += p.masks.len() - routed;
                summary.records_out += routed;
                let written = match &mut out {
                    Some(sink) => {
                        let payload = router::union(p.payload, &p.masks);
                        if payload.is_empty() { Ok(()) } else { sink.write(&payload) }
                    }
                    None => {
                        let exports = exports.as_ref().expect("exports exist without --output");
                        for (d, payload) in router::split(p.payload, &p.masks, n_dest) {
                            // Waiting for room never fails while the queues are open.
                            let _ = runtime.block_on(exports.enqueue(d, payload, Enqueue::Wait));
                        }
                        Ok(())
                    }
                };
                if let Err(e) = written {
                    summary.write_errors += 1;
                    tracing::error!(file = %origin.file, line = origin.line, "cannot write output: {e}");
                }
            }
        }
    })
    .map_err(|e| e.to_string())?;
    if let Some(sink) = &mut out
        && let Err(e) = sink.flush()
    {
        summary.write_errors += 1;
        tracing::error!(target_file = sink.target(), "cannot flush output: {e}");
    }
    if let Some(exports) = exports {
        if let Some(export) = &spend_export {
            runtime.block_on(export.export(metrics.spend(), &exports));
        }
        // Offline: give every destination the time it needs, retries included.
        runtime.block_on(exports.shutdown(Duration::from_secs(24 * 3600)));
        summary.write_errors += (metrics.dropped_count(DropReason::ExportRejected)
            + metrics.dropped_count(DropReason::RetriesExhausted)
            + metrics.dropped_count(DropReason::Shutdown)) as usize;
    }
    Ok(summary)
}
