//! OTLP requests read at the wire level, without decoding their records.

pub mod schema;
