//! Content modes: what `strip`, `hash` and `metadata_only` do to a tenant's records, through
//! what the contract can reach.
//!
//! **Content** is (a) an attribute whose key matches `content_keys` (the key itself or any
//! key under it: `gen_ai.prompt` covers `gen_ai.prompt.0.content`; an entry ending in `*` is
//! a plain prefix), in the resource, the scope or the record, at any depth of nested maps
//! (the leaf's key path is matched); (b) every string of a log body; (c) every string
//! attribute of a span event named in `content_events` (`gen_ai.content.prompt`, ...), and
//! event or link attributes matching `content_keys`.
//!
//! **What each mode does**
//! - `strip`: a content attribute is removed (the whole attribute, whatever its type) when it
//!   is a top-level attribute of the resource, scope or record; anywhere the contract cannot
//!   remove (log bodies, span event and link attributes, values nested inside a non-content
//!   attribute) the string leaf is emptied (`""`).
//! - `hash`: every non-empty content string leaf becomes `sha256:<64 hex>` of its text, or
//!   `hmac-sha256:<64 hex>` with the tenant's `hash_key` (equal content correlates within a
//!   tenant, never across tenants, and cannot be confirmed by guessing without the key).
//!   Non-string content values (numbers) are left.
//! - `metadata_only`: `strip`, then every top-level resource, scope and record attribute whose
//!   value is a string, bytes, an array or a map and whose key is not on `metadata_keys` is
//!   removed (numbers and booleans stay: token counts, latencies, costs), and so is every
//!   event and link string attribute not on `metadata_keys` (emptied: they cannot be removed).
//!   The tenant attribute and the record mark always stay.
//! - In every mode but `keep`, spans and log records get `sluice.residency.content =
//!   "<mode>"` (the `mark_attribute`; `""` turns it off), so a consumer can tell removed
//!   content from none. Metric points are not marked: an attribute there would be a new
//!   dimension of every series.
//!
//! **What the contract does not let it do** (so none of this happens): remove a span event,
//! a link, a log body or a value nested inside an attribute (they are emptied instead);
//! change a value's type (a hashed array stays an array of digests); tell which span event
//! an event attribute belongs to — `texts` only says `event`, so the event is inferred from
//! the host listing an event's name before its attributes (an event without a name
//! attributes its attributes to the event before it, which can only strip more); see
//! non-string content in bytes values (bytes are removed by `metadata_only`, left by `strip`
//! unless their key is a content key). Span names, metric names, log event names and span
//! status messages are treated as metadata and kept in every mode.

use crate::digest::{HmacKey, digest};
use crate::policy::ContentMode;
use sluice_plugin_sdk::{Batch, Key, PackedStrings, Scope, Signal, TextOrigin, ValueKind};
use std::collections::HashSet;

/// The record attribute naming the content mode applied to a record.
pub const MARK_ATTRIBUTE: &str = "sluice.residency.content";

/// Attribute keys whose values are GenAI content (prompts, answers, tool payloads), as the
/// OpenTelemetry GenAI conventions (current and deprecated), OpenLLMetry, OpenInference, the
/// Vercel AI SDK, Langfuse and MLflow write them.
pub const CONTENT_KEYS: &[&str] = &[
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "llm.prompts",
    "llm.completions",
    "traceloop.entity.input",
    "traceloop.entity.output",
    "llm.input_messages",
    "llm.output_messages",
    "llm.prompt_template.variables",
    "input.value",
    "output.value",
    "retrieval.documents",
    "embedding.embeddings",
    "ai.prompt",
    "ai.response.text",
    "ai.response.object",
    "ai.response.toolCalls",
    "ai.toolCall.args",
    "ai.toolCall.result",
    "langfuse.observation.input",
    "langfuse.observation.output",
    "langfuse.trace.input",
    "langfuse.trace.output",
    "mlflow.spanInputs",
    "mlflow.spanOutputs",
];

/// Span events whose every string attribute is content (the GenAI conventions' events).
pub const CONTENT_EVENTS: &[&str] = &[
    "gen_ai.content.prompt",
    "gen_ai.content.completion",
    "gen_ai.system.message",
    "gen_ai.user.message",
    "gen_ai.assistant.message",
    "gen_ai.tool.message",
    "gen_ai.choice",
    "gen_ai.client.inference.operation.details",
];

/// The attributes `metadata_only` keeps (same matching as `content_keys`): GenAI call
/// metadata (operation, provider, model and request parameters, response id and finish
/// reasons, token usage and cost, conversation, agent and tool names and ids), service and
/// deployment identity, HTTP/RPC status and route, error type, sluice's own enrichment
/// (`sluice.*`, the spend attributes `app.feature` / `app.prompt_version`) and the tenant
/// attribute (always kept, whatever this list says).
pub const METADATA_KEYS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.system",
    "gen_ai.provider.name",
    "gen_ai.request",
    "gen_ai.response.model",
    "gen_ai.response.id",
    "gen_ai.response.finish_reasons",
    "gen_ai.usage",
    "gen_ai.token.type",
    "gen_ai.conversation.id",
    "gen_ai.agent.id",
    "gen_ai.agent.name",
    "gen_ai.tool.name",
    "gen_ai.tool.call.id",
    "gen_ai.tool.type",
    "gen_ai.output.type",
    "gen_ai.data_source.id",
    "gen_ai.openai.request.service_tier",
    "gen_ai.openai.response.service_tier",
    "gen_ai.openai.response.system_fingerprint",
    "llm.request.type",
    "llm.usage",
    "llm.is_streaming",
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "llm.token_count",
    "openinference.span.kind",
    "traceloop.span.kind",
    "traceloop.workflow.name",
    "traceloop.entity.name",
    "service",
    "telemetry.sdk",
    "telemetry.distro",
    "deployment.environment",
    "cloud.provider",
    "cloud.region",
    "cloud.availability_zone",
    "host.name",
    "host.arch",
    "os.type",
    "os.version",
    "process.runtime.name",
    "process.runtime.version",
    "k8s.cluster.name",
    "k8s.namespace.name",
    "k8s.deployment.name",
    "k8s.pod.name",
    "container.name",
    "http.request.method",
    "http.method",
    "http.response.status_code",
    "http.status_code",
    "http.route",
    "server.address",
    "server.port",
    "url.scheme",
    "rpc.system",
    "rpc.service",
    "rpc.method",
    "rpc.grpc.status_code",
    "error.type",
    "exception.type",
    "otel.status_code",
    "event.name",
    "app.feature",
    "app.prompt_version",
    "sluice",
];

/// A list of attribute keys: each entry matches that key and every key under it
/// (`a.b` matches `a.b` and `a.b.c`, not `a.bc`); an entry ending in `*` matches every key
/// starting with what precedes the `*`.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashSet<String>,
    prefixes: Vec<String>,
}

impl KeySet {
    /// From config entries.
    pub fn new(entries: &[String]) -> KeySet {
        let mut set = KeySet::default();
        for e in entries {
            match e.strip_suffix('*') {
                Some(prefix) => set.prefixes.push(prefix.to_string()),
                None => {
                    set.keys.insert(e.clone());
                }
            }
        }
        set
    }

    /// Whether `key` (or a key path) is in the list.
    pub fn matches(&self, key: &str) -> bool {
        if self.keys.contains(key) {
            return true;
        }
        if !self.keys.is_empty() {
            for (i, b) in key.bytes().enumerate() {
                if b == b'.' && self.keys.contains(&key[..i]) {
                    return true;
                }
            }
        }
        self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }
}

/// The content settings of the config.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Keys whose values are content.
    pub content_keys: KeySet,
    /// Names of span events whose string attributes are all content.
    pub content_events: Vec<String>,
    /// The keys `metadata_only` keeps.
    pub metadata_keys: KeySet,
    /// The tenant attribute (always kept).
    pub tenant_attribute: String,
    /// The record attribute naming the mode applied, if any.
    pub mark: Option<String>,
}

impl Settings {
    fn keeps_as_metadata(&self, key: &str) -> bool {
        key == self.tenant_attribute
            || self.mark.as_deref() == Some(key)
            || self.metadata_keys.matches(key)
    }

    fn is_content_event(&self, name: &str) -> bool {
        self.content_events.iter().any(|e| e == name)
    }
}

/// What applies to one row.
#[derive(Debug, Clone, Copy)]
pub struct RowPlan<'a> {
    /// The row's content mode.
    pub mode: ContentMode,
    /// The key of its digests (`hash`), if any.
    pub key: Option<&'a HmacKey>,
}

/// Applies each row's content mode (see the module docs); rows in `keep` are not touched.
pub fn apply(batch: &mut Batch<'_>, s: &Settings, plans: &[RowPlan<'_>]) -> Result<(), String> {
    let rows_where = |f: &dyn Fn(ContentMode) -> bool| -> Vec<u32> {
        (0..plans.len() as u32)
            .filter(|r| f(plans[*r as usize].mode))
            .collect()
    };
    let touched = rows_where(&|m| m != ContentMode::Keep);
    if touched.is_empty() {
        return Ok(());
    }
    let stripped = rows_where(&|m| m.strips());
    let metadata_only = rows_where(&|m| m == ContentMode::MetadataOnly);

    // Top-level attributes: removed whole where the mode says so.
    for scope in [Scope::Record, Scope::Resource, Scope::InstrumentationScope] {
        for name in batch.keys(scope).iter() {
            let key = Key {
                scope,
                name: name.to_string(),
            };
            if s.content_keys.matches(name) {
                if !stripped.is_empty() {
                    batch.remove(&key, &stripped)?;
                }
            } else if !metadata_only.is_empty() && !s.keeps_as_metadata(name) {
                let column = batch.column(&key);
                let rows: Vec<u32> = metadata_only
                    .iter()
                    .copied()
                    .filter(|row| matches!(column.kind(*row), ValueKind::Str | ValueKind::Other))
                    .collect();
                if !rows.is_empty() {
                    batch.remove(&key, &rows)?;
                }
            }
        }
    }

    // String leaves the contract can only replace: bodies, events, links, nested values.
    let texts = batch.texts(&touched)?;
    let mut ids = Vec::new();
    let mut out = PackedStrings::with_capacity(0, 0);
    // The span event the current `event` leaves belong to is a content event.
    let mut in_content_event = false;
    let mut last_row = u32::MAX;
    for i in 0..texts.ids.len() {
        let row = texts.rows[i];
        let origin = texts.origins[i];
        let path = texts.keys.get(i).unwrap_or_default();
        let text = texts.strings.get(i).unwrap_or_default();
        if row != last_row || origin != TextOrigin::Event {
            in_content_event = false;
            last_row = row;
        }
        let plan = plans[row as usize];
        let mode = plan.mode;
        let is_content = match origin {
            // A leaf of an attribute removed above may be replaced too (harmless: replacements
            // apply first): a key path cannot tell `a.b` inside map `a` from a top-level `a.b`.
            TextOrigin::Attribute | TextOrigin::ResourceAttribute | TextOrigin::ScopeAttribute => {
                s.content_keys.matches(path)
            }
            TextOrigin::Body => true,
            TextOrigin::Event if path.is_empty() => {
                // An event's name: metadata; its attributes follow it.
                in_content_event = s.is_content_event(text);
                continue;
            }
            TextOrigin::Event => {
                in_content_event
                    || s.content_keys.matches(path)
                    || (mode == ContentMode::MetadataOnly && !s.keeps_as_metadata(path))
            }
            TextOrigin::Link => {
                s.content_keys.matches(path)
                    || (mode == ContentMode::MetadataOnly && !s.keeps_as_metadata(path))
            }
            TextOrigin::Name | TextOrigin::StatusMessage => false,
        };
        if !is_content || text.is_empty() {
            continue;
        }
        ids.push(texts.ids[i]);
        match mode {
            ContentMode::Hash => out.push(&digest(plan.key, text)),
            _ => out.push(""),
        }
    }
    if !ids.is_empty() {
        batch.replace_texts(&ids, out)?;
    }

    // Not on metric points: an attribute there is a new dimension of every series.
    if let Some(mark) = s
        .mark
        .as_ref()
        .filter(|_| batch.signal() != Signal::MetricPoint)
    {
        let mut column = batch.column_builder();
        for &row in &touched {
            column.set_str(row, plans[row as usize].mode.name());
        }
        batch.set_column(&Key::record(mark.as_str()), column.finish())?;
    }
    Ok(())
}
