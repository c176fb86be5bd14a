//! Semantic checks on a parsed config. Every problem is collected, so an operator fixes
//! them all in one pass instead of one per restart.

use super::load::Problem;
use super::{
    Config, ConnectionLimits, DestinationKind, PluginConfig, ReceiverConfig, TenantSource,
};
use std::collections::HashSet;

/// The most destinations one config may have; per-record routing keeps them in a bit mask.
pub const MAX_DESTINATIONS: usize = 64;

/// Collects problems by field path.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            line: None,
            path: path.into(),
            message: message.into(),
        });
    }
}

/// Every semantic problem of `config`.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut p = Problems::default();
    if config.runtime.workers > 256 {
        p.add(
            "runtime.workers",
            format!(
                "{} workers is more than the 256 allowed",
                config.runtime.workers
            ),
        );
    }
    receivers(config, &mut p);
    plugins(config, &mut p);
    let names = destinations(config, &mut p);
    routing(config, &names, &mut p);
    tenancy(config, &mut p);
    p.0.extend(crate::spend::validate(config));
    p.0
}

fn receivers(config: &Config, p: &mut Problems) {
    let mut addresses = HashSet::new();
    for (i, r) in config.receivers.iter().enumerate() {
        match r {
            ReceiverConfig::File { path } if path.is_empty() => p.add(
                format!("receivers[{i}].path"),
                "must not be empty (use `-` for stdin)",
            ),
            ReceiverConfig::File { .. } => {}
            ReceiverConfig::OtlpGrpc {
                address,
                max_request_bytes,
                ..
            }
            | ReceiverConfig::OtlpHttp {
                address,
                max_request_bytes,
                ..
            } => {
                if *max_request_bytes == 0 {
                    p.add(
                        format!("receivers[{i}].max_request_bytes"),
                        "must be more than 0",
                    );
                }
                if address.port() != 0 && !addresses.insert(*address) {
                    p.add(
                        format!("receivers[{i}].address"),
                        format!("{address} is used by another receiver"),
                    );
                }
                if let Some(limits) = r.limits() {
                    connection_limits(&limits, &|f: &str| format!("receivers[{i}].{f}"), p);
                }
            }
        }
    }
}

/// The most a receiver timeout may be: one hour.
const MAX_RECEIVER_TIMEOUT_MS: u64 = 3_600_000;

fn connection_limits(l: &ConnectionLimits, at: &dyn Fn(&str) -> String, p: &mut Problems) {
    for (field, ms) in [
        ("header_read_timeout_ms", l.header_read_timeout_ms),
        ("body_read_timeout_ms", l.body_read_timeout_ms),
        ("idle_timeout_ms", l.idle_timeout_ms),
        ("keepalive_timeout_ms", l.keepalive_timeout_ms),
    ] {
        if !(1..=MAX_RECEIVER_TIMEOUT_MS).contains(&ms) {
            p.add(
                at(field),
                format!("{ms} is outside 1..={MAX_RECEIVER_TIMEOUT_MS}"),
            );
        }
    }
    if l.keepalive_interval_ms > MAX_RECEIVER_TIMEOUT_MS {
        p.add(
            at("keepalive_interval_ms"),
            format!(
                "{} is more than {MAX_RECEIVER_TIMEOUT_MS} (0 turns pings off)",
                l.keepalive_interval_ms
            ),
        );
    }
    if !(1..=1_000_000).contains(&l.max_connections) {
        p.add(
            at("max_connections"),
            format!("{} is outside 1..=1000000", l.max_connections),
        );
    }
    if l.max_concurrent_streams == 0 {
        p.add(at("max_concurrent_streams"), "must be at least 1");
    }
}

fn plugins(config: &Config, p: &mut Problems) {
    let mut names = HashSet::new();
    for (i, s) in config.plugins.iter().enumerate() {
        if !s.name.trim().is_empty() && !names.insert(s.name.as_str()) {
            p.add(
                format!("plugins[{i}].name"),
                format!("duplicate plugin name `{}`", s.name),
            );
        }
        p.0.extend(stage(s, &|field: &str| format!("plugins[{i}].{field}")));
    }
    if let Some(dir) = &config.plugin_dir {
        if dir.debounce_ms > 10_000 {
            p.add(
                "plugin_dir.debounce_ms",
                format!("{} is more than 10000", dir.debounce_ms),
            );
        }
        if dir
            .poll_interval_ms
            .is_some_and(|ms| !(10..=60_000).contains(&ms))
        {
            p.add("plugin_dir.poll_interval_ms", "must be within 10..=60000");
        }
        if !(1..=256).contains(&dir.max_stages) {
            p.add("plugin_dir.max_stages", "must be within 1..=256");
        }
    }
    if let Some(t) = &config.trace_buffer {
        if !(1..=600_000).contains(&t.decision_wait_ms) {
            p.add("trace_buffer.decision_wait_ms", "must be within 1..=600000");
        }
        if t.max_spans == 0 {
            p.add("trace_buffer.max_spans", "must be at least 1");
        }
        if t.max_bytes < 1024 {
            p.add("trace_buffer.max_bytes", "must be at least 1024");
        }
        if t.max_batch_spans == 0 {
            p.add("trace_buffer.max_batch_spans", "must be at least 1");
        }
    }
    for (i, digest) in config.trust.plugin_sha256.iter().enumerate() {
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            p.add(
                format!("trust.plugin_sha256[{i}]"),
                format!("`{digest}` is not a hex sha256 digest (64 hex digits)"),
            );
        }
    }
}

/// The problems of one stage's settings; `at` turns a field name into its path.
pub(crate) fn stage(stage: &PluginConfig, at: &dyn Fn(&str) -> String) -> Vec<Problem> {
    let mut p = Problems::default();
    if stage.name.trim().is_empty() {
        p.add(at("name"), "must not be empty");
    }
    match (&stage.builtin, &stage.path) {
        (Some(_), Some(_)) => p.add(at("builtin"), "set either `builtin` or `path`, not both"),
        (None, None) => p.add(
            at("path"),
            "set `path` to a plugin component file, or `builtin` to a built-in plugin",
        ),
        (Some(b), None) if !crate::plugin::builtin::NAMES.contains(&b.as_str()) => p.add(
            at("builtin"),
            format!(
                "unknown built-in plugin `{b}`, expected one of {}",
                crate::plugin::builtin::NAMES.join(", ")
            ),
        ),
        _ => {}
    }
    if !(1..=4096).contains(&stage.memory_mib) {
        p.add(
            at("memory_mib"),
            format!("{} is outside 1..=4096", stage.memory_mib),
        );
    }
    if !(1..=600_000).contains(&stage.timeout_ms) {
        p.add(
            at("timeout_ms"),
            format!("{} is outside 1..=600000", stage.timeout_ms),
        );
    }
    for (j, d) in stage.grants.dirs.iter().enumerate() {
        if !d.host.is_dir() {
            p.add(
                at(&format!("grants.dirs[{j}].host")),
                format!("`{}` is not a directory", d.host.display()),
            );
        }
    }
    for (j, e) in stage.grants.env.iter().enumerate() {
        if e.is_empty() || e.contains('=') {
            p.add(
                at(&format!("grants.env[{j}]")),
                format!("`{e}` is not an environment variable name"),
            );
        }
    }
    p.0
}

fn destinations<'c>(config: &'c Config, p: &mut Problems) -> HashSet<&'c str> {
    let mut names = HashSet::new();
    if config.destinations.is_empty() {
        p.add(
            "destinations",
            "no destination configured: every record would go nowhere; add a `[[destinations]]` (type `discard` to drop on purpose)",
        );
    }
    if config.destinations.len() > MAX_DESTINATIONS {
        p.add(
            "destinations",
            format!(
                "{} destinations is more than the {MAX_DESTINATIONS} allowed",
                config.destinations.len()
            ),
        );
    }
    for (i, d) in config.destinations.iter().enumerate() {
        let at = |field: &str| format!("destinations[{i}].{field}");
        if d.name.trim().is_empty() {
            p.add(at("name"), "must not be empty");
        } else if !names.insert(d.name.as_str()) {
            p.add(
                at("name"),
                format!("duplicate destination name `{}`", d.name),
            );
        }
        match (d.kind, &d.path) {
            (DestinationKind::File, None) => p.add(
                at("path"),
                "a `file` destination needs a `path` (`-` for stdout)",
            ),
            (DestinationKind::File, Some(path)) if path.is_empty() => {
                p.add(at("path"), "must not be empty")
            }
            (DestinationKind::File, _) => {}
            (_, Some(_)) => p.add(at("path"), "only a `file` destination takes a `path`"),
            (_, None) => {}
        }
        let otlp = matches!(
            d.kind,
            DestinationKind::OtlpGrpc | DestinationKind::OtlpHttp
        );
        match (&d.endpoint, otlp) {
            (None, true) => p.add(
                at("endpoint"),
                "an OTLP destination needs an `endpoint`, e.g. \"http://127.0.0.1:4317\"",
            ),
            (Some(e), true) if !(e.starts_with("http://") || e.starts_with("https://")) => p.add(
                at("endpoint"),
                format!("`{e}` must start with http:// or https://"),
            ),
            (Some(_), false) => p.add(at("endpoint"), "only OTLP destinations take an `endpoint`"),
            _ => {}
        }
        if d.queue.capacity == 0 || d.queue.workers == 0 {
            p.add(at("queue"), "`capacity` and `workers` must be more than 0");
        }
        if d.queue.max_bytes == 0 {
            p.add(at("queue.max_bytes"), "must be more than 0");
        }
        client_certificate(d, otlp, &at, p);
        if d.retry.initial_backoff_ms == 0 || d.retry.max_backoff_ms < d.retry.initial_backoff_ms {
            p.add(
                at("retry"),
                "`initial_backoff_ms` must be more than 0 and at most `max_backoff_ms`",
            );
        }
    }
    names
}

/// `client_cert` and `client_key`: both or neither, OTLP over `https` only. Whether the files
/// are usable is checked when the exporter is built (at startup), naming the file.
fn client_certificate(
    d: &super::DestinationConfig,
    otlp: bool,
    at: &dyn Fn(&str) -> String,
    p: &mut Problems,
) {
    let (cert, key) = (d.client_cert.is_some(), d.client_key.is_some());
    if !cert && !key {
        return;
    }
    if !otlp {
        let field = if cert { "client_cert" } else { "client_key" };
        p.add(
            at(field),
            "only OTLP destinations (`otlp_grpc`, `otlp_http`) present a client certificate",
        );
        return;
    }
    match (cert, key) {
        (true, false) => p.add(
            at("client_key"),
            "missing: `client_cert` needs its private key in `client_key`",
        ),
        (false, true) => p.add(
            at("client_cert"),
            "missing: `client_key` needs its certificate in `client_cert`",
        ),
        _ => {}
    }
    if let Some(e) = &d.endpoint
        && e.starts_with("http://")
    {
        p.add(
            at("client_cert"),
            format!("a client certificate needs an https:// endpoint, not `{e}`"),
        );
    }
}

fn routing(config: &Config, destinations: &HashSet<&str>, p: &mut Problems) {
    for (i, name) in config.routing.default.iter().flatten().enumerate() {
        if !destinations.contains(name.as_str()) {
            p.add(
                format!("routing.default[{i}]"),
                format!("unknown destination `{name}`"),
            );
        }
    }
    let mut tenants = HashSet::new();
    for (i, route) in config.routing.tenants.iter().enumerate() {
        if !tenants.insert(route.tenant.as_str()) {
            p.add(
                format!("routing.tenants[{i}].tenant"),
                format!("duplicate route for tenant `{}`", route.tenant),
            );
        }
        for (j, name) in route.destinations.iter().enumerate() {
            if !destinations.contains(name.as_str()) {
                p.add(
                    format!("routing.tenants[{i}].destinations[{j}]"),
                    format!("unknown destination `{name}`"),
                );
            }
        }
    }
}

fn tenancy(config: &Config, p: &mut Problems) {
    let t = &config.tenancy;
    if t.attribute.is_empty() {
        p.add("tenancy.attribute", "must not be empty");
    }
    if let Some(h) = &t.header
        && http::HeaderName::from_bytes(h.to_ascii_lowercase().as_bytes()).is_err()
    {
        p.add(
            "tenancy.header",
            format!("`{h}` is not a valid header name"),
        );
    }
    if t.source == TenantSource::ApiKey && t.api_keys.is_empty() {
        p.add(
            "tenancy.api_keys",
            "the `api_key` source needs at least one key",
        );
    }
    let mut keys = HashSet::new();
    for (i, k) in t.api_keys.iter().enumerate() {
        if k.key.trim().is_empty() {
            // Often an unset `${ENV}` with an empty fallback.
            p.add(format!("tenancy.api_keys[{i}].key"), "must not be empty");
        } else if !keys.insert(k.key.as_str()) {
            p.add(
                format!("tenancy.api_keys[{i}].key"),
                "the same key is listed twice",
            );
        }
        if k.tenant.is_empty() {
            p.add(format!("tenancy.api_keys[{i}].tenant"), "must not be empty");
        }
    }
}
