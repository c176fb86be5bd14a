//! `sluice-loadgen`: load for sluice benchmarks and the receiver that counts what arrives.
//!
//! - [`pool`] pre-generates and encodes OTLP requests shaped like an LLM application's
//!   telemetry (GenAI semantic conventions: [`traces`], [`signals`]; text, fake secrets and
//!   Zipf-distributed tenants from [`content`]).
//! - [`send`] replays them over OTLP/gRPC or OTLP/HTTP ([`client`]) on N connections, at a
//!   fixed rate or as fast as possible, and reports throughput, errors and latency
//!   ([`report`]).
//! - [`capture`] is an OTLP/gRPC receiver that counts records per tenant without decoding
//!   them ([`wire`]) and measures delivery latency from a send stamp patched into each
//!   request as it leaves ([`codec`]).

pub mod attrs;
pub mod capture;
pub mod client;
pub mod codec;
pub mod content;
pub mod pool;
pub mod report;
pub mod send;
pub mod signals;
pub mod traces;
pub mod wire;
