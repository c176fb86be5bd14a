//! The built-in plugins, compiled to components at build time and embedded in the binary,
//! each with its default config.

/// Names accepted by `builtin = "..."` in the config.
pub const NAMES: &[&str] = &["cost", "redact"];

/// A built-in plugin's component bytes and default config, by name.
pub fn get(name: &str) -> Option<(&'static [u8], &'static str)> {
    match name {
        "cost" => Some((
            sluice_artifacts::builtin::COST,
            include_str!("../../../plugins/cost/pricing.toml"),
        )),
        "redact" => Some((
            sluice_artifacts::builtin::REDACT,
            include_str!("../../../plugins/redact/default.toml"),
        )),
        _ => None,
    }
}
