//! The Wasm plugin runtime. Wasmtime stays behind this module: the rest of sluice sees
//! [`Runtime`] (engine, linker, compile cache), [`LoadedPlugin`] (a compiled, validated
//! plugin ready to instantiate) and [`PluginInstance`] (one live instance, reused across
//! batches and replaced after a failure).

pub mod builtin;
mod cache;
mod engine;
mod error;
mod host;
mod instance;
pub mod stats;
pub mod store;

#[cfg(test)]
mod runtime_tests;

pub use cache::{create_private_dir, sha256_hex};
pub use engine::{Runtime, RuntimeOptions};
pub use error::{CallFailure, LoadError};
pub use instance::{LoadedPlugin, PluginInstance, PluginSource};
