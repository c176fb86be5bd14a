//! Exporters: where a destination's records are delivered.

pub mod file;
