//! sluice: a telemetry processor for LLM systems. It receives OpenTelemetry records, streams
//! them through a chain of WebAssembly component plugins, and exports them per destination.
//!
//! Module map, in data-path order:
//! - [`config`]: the TOML config, `${ENV}` interpolation, validation with field paths.
//! - [`otlp`]: the OTLP payload type and the file formats (JSON lines, protobuf).
//! - [`filemode`]: `sluice process` and file receivers: files in, files out.
//! - [`pipeline`]: the batch view plugins see, the plugin chain and its failure policies,
//!   and the worker pool.
//! - [`plugin`]: the wasmtime runtime (engine, compile cache, sandbox, instances).
//! - [`router`]: destinations, per-record routes, splitting a batch per destination.
//! - [`quarantine`]: where `fail_closed` plugins put the batches they failed on.
//! - [`receiver`]: OTLP/gRPC and OTLP/HTTP servers; [`ingest`] is their way in (tenant,
//!   chain, route, queue) and [`tenancy`] says whose records they are.
//! - [`export`]: per-destination queues with retries, and the exporters (file, OTLP).
//! - [`server`]: `sluice run`, wiring it all with [`admin`] (`/metrics`, `/healthz`,
//!   `/readyz`) and [`metrics`].
//! - [`spend`]: LLM spend counters from the cost plugin's enrichment, `/cost/top`, and their
//!   export as OTLP metrics.
//! - [`evalstats`]: eval-sampling picks as metrics.
//! - [`pricing`]: `sluice pricing import`, LiteLLM's price table to the cost plugin's.
//! - [`app`]: building the plugin chain and destinations from a config.
//! - [`authoring`]: `sluice plugin new` and `sluice plugin test`, for plugin authors.
//! - [`tracebuf`]: holding spans by trace id so plugins see whole traces.
//! - [`reload`]: watching the plugin folder and config, swapping the chain between batches.

pub mod admin;
pub mod app;
pub mod authoring;
pub mod config;
pub mod evalstats;
pub mod export;
pub mod filemode;
pub mod ingest;
pub mod metrics;
pub mod otlp;
pub mod pipeline;
pub mod plugin;
pub mod pricing;
pub mod quarantine;
pub mod receiver;
pub mod reload;
pub mod router;
pub mod server;
pub mod spend;
pub mod tenancy;
pub mod tracebuf;
