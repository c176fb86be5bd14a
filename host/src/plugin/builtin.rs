//! The built-in plugins, compiled to components at build time and embedded in the binary,
//! each with its default config.

/// Names accepted by `builtin = "..."` in the config.
pub const NAMES: &[&str] = &["cost", "redact", "residency", "eval-sample"];

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
        // Default policy: third-party destinations denied; everything else allowed.
        "residency" => Some((sluice_artifacts::builtin::RESIDENCY, "")),
        // No useful default: the eval destination and rate must be configured.
        "eval-sample" => Some((sluice_artifacts::builtin::EVAL_SAMPLE, "")),
        _ => None,
    }
}
