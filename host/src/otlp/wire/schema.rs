//! (helper: the schema-driven validator goes here)
