//! The compiled plugin components: built-in ones as bytes to embed in the `sluice` binary,
//! test-only ones as file paths for the test suite. `build.rs` compiles them.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
