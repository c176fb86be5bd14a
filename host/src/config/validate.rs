//! Semantic checks on a parsed config. Every problem is collected, so an operator fixes
//! them all in one pass instead of one per restart.

use super::load::Problem;
use super::{Config, DestinationKind, ReceiverConfig};
use std::collections::HashSet;

/// The most destinations one config may have; per-record routing keeps them in a bit mask.
pub const MAX_DESTINATIONS: usize = 64;

/// Every semantic problem of `config`.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |path: String, message: String| {
        problems.push(Problem {
            line: None,
            path,
            message,
        })
    };

    if config.runtime.workers > 256 {
        problem(
            "runtime.workers".into(),
            format!(
                "{} workers is more than the 256 allowed",
                config.runtime.workers
            ),
        );
    }

    for (i, r) in config.receivers.iter().enumerate() {
        match r {
            ReceiverConfig::File { path } if path.is_empty() => {
                problem(
                    format!("receivers[{i}].path"),
                    "must not be empty (use `-` for stdin)".into(),
                );
            }
            ReceiverConfig::File { .. } => {}
        }
    }

    let mut names = HashSet::new();
    for (i, p) in config.plugins.iter().enumerate() {
        let at = |field: &str| format!("plugins[{i}].{field}");
        if p.name.trim().is_empty() {
            problem(at("name"), "must not be empty".into());
        } else if !names.insert(p.name.as_str()) {
            problem(at("name"), format!("duplicate plugin name `{}`", p.name));
        }
        match (&p.builtin, &p.path) {
            (Some(_), Some(_)) => problem(
                at("builtin"),
                "set either `builtin` or `path`, not both".into(),
            ),
            (None, None) => problem(
                at("path"),
                "set `path` to a plugin component file, or `builtin` to a built-in plugin".into(),
            ),
            (Some(b), None) if !crate::plugin::builtin::NAMES.contains(&b.as_str()) => problem(
                at("builtin"),
                format!(
                    "unknown built-in plugin `{b}`, expected one of {}",
                    crate::plugin::builtin::NAMES.join(", ")
                ),
            ),
            _ => {}
        }
        if !(1..=4096).contains(&p.memory_mib) {
            problem(
                at("memory_mib"),
                format!("{} is outside 1..=4096", p.memory_mib),
            );
        }
        if !(1..=600_000).contains(&p.timeout_ms) {
            problem(
                at("timeout_ms"),
                format!("{} is outside 1..=600000", p.timeout_ms),
            );
        }
        for (j, d) in p.grants.dirs.iter().enumerate() {
            if !d.host.is_dir() {
                problem(
                    format!("plugins[{i}].grants.dirs[{j}].host"),
                    format!("`{}` is not a directory", d.host.display()),
                );
            }
        }
        for (j, e) in p.grants.env.iter().enumerate() {
            if e.is_empty() || e.contains('=') {
                problem(
                    format!("plugins[{i}].grants.env[{j}]"),
                    format!("`{e}` is not an environment variable name"),
                );
            }
        }
    }

    if config.destinations.is_empty() {
        problem("destinations".into(), "no destination configured: every record would go nowhere; add a `[[destinations]]` (type `discard` to drop on purpose)".into());
    }
    let mut dests = HashSet::new();
    if config.destinations.len() > MAX_DESTINATIONS {
        problem(
            "destinations".into(),
            format!(
                "{} destinations is more than the {MAX_DESTINATIONS} allowed",
                config.destinations.len()
            ),
        );
    }
    for (i, d) in config.destinations.iter().enumerate() {
        let at = |field: &str| format!("destinations[{i}].{field}");
        if d.name.trim().is_empty() {
            problem(at("name"), "must not be empty".into());
        } else if !dests.insert(d.name.as_str()) {
            problem(
                at("name"),
                format!("duplicate destination name `{}`", d.name),
            );
        }
        match (d.kind, &d.path) {
            (DestinationKind::File, None) => problem(
                at("path"),
                "a `file` destination needs a `path` (`-` for stdout)".into(),
            ),
            (DestinationKind::File, Some(p)) if p.is_empty() => {
                problem(at("path"), "must not be empty".into())
            }
            (DestinationKind::Discard, Some(_)) => {
                problem(at("path"), "a `discard` destination takes no `path`".into())
            }
            _ => {}
        }
    }

    if let Some(default) = &config.routing.default {
        for (i, name) in default.iter().enumerate() {
            if !dests.contains(name.as_str()) {
                problem(
                    format!("routing.default[{i}]"),
                    format!("unknown destination `{name}`"),
                );
            }
        }
    }
    problems
}
