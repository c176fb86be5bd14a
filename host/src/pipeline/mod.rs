//! The data path between decode and export: the batch view plugins work on
//! ([`BatchState`]), the chain of plugin instances with their failure policies ([`Chain`]),
//! and the worker pool that spreads batches over the cores and keeps their order
//! ([`workers`]).

mod batch;
mod chain;
mod columns;
pub mod intrinsics;
pub mod live;
pub mod retain;
pub mod rows;
pub mod service;
mod texts;
pub mod workers;

#[cfg(test)]
mod batch_tests;

pub use batch::{BatchState, Processed};
pub use chain::{Chain, ChainOutcome};
pub use columns::{read as read_column, set as set_attribute};
