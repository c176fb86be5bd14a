//! What a plugin changed in one record, as readable lines: every part of a record a plugin
//! can edit (resource and scope attributes, the record's attributes, span and metric names,
//! log bodies, span events, links and status messages) is flattened into labelled values,
//! and the values before and after the call are compared label by label.

use crate::otlp::Payload;
use crate::pipeline::rows::{self, RowLoc};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use sluice_plugin_sdk::Scope;
use std::collections::HashMap;

/// Values longer than this many characters are shortened for display (unless asked not to).
pub const DISPLAY_CHARS: usize = 80;

/// How values are printed.
#[derive(Debug, Clone, Copy)]
pub struct Display {
    /// Shorten long values to [`DISPLAY_CHARS`] with an ellipsis.
    pub truncate: bool,
}

/// One editable part of a record and its value.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    /// Orders the output: resource, scope, name, attributes, body, status, events, links.
    section: u8,
    label: String,
    value: FieldValue,
}

#[derive(Debug, Clone, PartialEq)]
enum FieldValue {
    Any(Option<Value>),
    Text(String),
}

/// The editable parts of one record.
#[derive(Debug, Clone, Default)]
pub struct Fields(Vec<Field>);

impl Fields {
    /// Flattens the record at `loc`.
    pub fn of(payload: &Payload, loc: RowLoc) -> Fields {
        let mut f = Fields::default();
        f.attrs(
            0,
            "resource attribute",
            rows::attrs(payload, loc, Scope::Resource),
        );
        let scope = rows::attrs(payload, loc, Scope::InstrumentationScope);
        f.attrs(1, "scope attribute", scope);
        let (r, s, i) = (
            loc.resource as usize,
            loc.scope as usize,
            loc.record as usize,
        );
        match payload {
            Payload::Traces(req) => {
                let Some(span) = req
                    .resource_spans
                    .get(r)
                    .and_then(|x| x.scope_spans.get(s))
                    .and_then(|x| x.spans.get(i))
                else {
                    return f;
                };
                f.text(2, "name".into(), &span.name);
                f.attrs(3, "attribute", &span.attributes);
                if let Some(status) = &span.status {
                    f.text(5, "status message".into(), &status.message);
                }
                for (e, ev) in span.events.iter().enumerate() {
                    let at = format!("event {}", e + 1);
                    f.text(6, format!("{at} name"), &ev.name);
                    f.attrs(6, &format!("{at} attribute"), &ev.attributes);
                }
                for (l, link) in span.links.iter().enumerate() {
                    f.attrs(7, &format!("link {} attribute", l + 1), &link.attributes);
                }
            }
            Payload::Logs(req) => {
                let Some(log) = req
                    .resource_logs
                    .get(r)
                    .and_then(|x| x.scope_logs.get(s))
                    .and_then(|x| x.log_records.get(i))
                else {
                    return f;
                };
                f.attrs(3, "attribute", &log.attributes);
                if let Some(body) = &log.body {
                    f.push(4, "body".into(), FieldValue::Any(body.value.clone()));
                }
            }
            Payload::Metrics(req) => {
                let Some(metric) = req
                    .resource_metrics
                    .get(r)
                    .and_then(|x| x.scope_metrics.get(s))
                    .and_then(|x| x.metrics.get(i))
                else {
                    return f;
                };
                f.text(2, "metric name".into(), &metric.name);
                f.attrs(3, "attribute", rows::attrs(payload, loc, Scope::Record));
            }
        }
        f
    }

    fn push(&mut self, section: u8, label: String, value: FieldValue) {
        // Attribute lists may repeat a key; each occurrence gets a label of its own.
        let mut label = label;
        let base = label.clone();
        let mut n = 1;
        while self.0.iter().any(|f| f.label == label) {
            n += 1;
            label = format!("{base} (#{n})");
        }
        self.0.push(Field {
            section,
            label,
            value,
        });
    }

    fn text(&mut self, section: u8, label: String, s: &str) {
        if !s.is_empty() {
            self.push(section, label, FieldValue::Text(s.to_string()));
        }
    }

    fn attrs(&mut self, section: u8, what: &str, attrs: &[KeyValue]) {
        for kv in attrs {
            let value = kv.value.as_ref().and_then(|v| v.value.clone());
            self.push(
                section,
                format!("{what} {}", kv.key),
                FieldValue::Any(value),
            );
        }
    }
}

/// The lines describing how `before` became `after`: `+ label = value` for a new field,
/// `~ label: old -> new` for a changed one, `- label` for a removed one. `truncated` is set
/// when a value was shortened.
pub fn lines(
    before: &Fields,
    after: &Fields,
    display: Display,
    truncated: &mut bool,
) -> Vec<String> {
    let old: HashMap<&str, &Field> = before.0.iter().map(|f| (f.label.as_str(), f)).collect();
    let new: HashMap<&str, &Field> = after.0.iter().map(|f| (f.label.as_str(), f)).collect();
    let mut show = |v: &FieldValue| {
        let (s, cut) = render(v, display);
        *truncated |= cut;
        s
    };
    let mut out: Vec<(u8, String)> = Vec::new();
    for f in &after.0 {
        match old.get(f.label.as_str()) {
            None => out.push((f.section, format!("+ {} = {}", f.label, show(&f.value)))),
            Some(b) if b.value != f.value => out.push((
                f.section,
                format!("~ {}: {} -> {}", f.label, show(&b.value), show(&f.value)),
            )),
            Some(_) => {}
        }
    }
    for f in &before.0 {
        if !new.contains_key(f.label.as_str()) {
            out.push((f.section, format!("- {}", f.label)));
        }
    }
    // Stable: within a section, additions and changes in the record's order, then removals.
    out.sort_by_key(|(section, _)| *section);
    out.into_iter().map(|(_, line)| line).collect()
}

/// A value for display: strings quoted as JSON, numbers and bools bare, arrays and maps as
/// compact JSON, bytes as hex. Returns whether it was shortened.
fn render(v: &FieldValue, display: Display) -> (String, bool) {
    let json = match v {
        FieldValue::Text(s) => serde_json::Value::String(s.clone()),
        FieldValue::Any(v) => to_json(v.as_ref()),
    };
    match json {
        // Shorten the text inside the quotes, so a shortened string still reads as one.
        serde_json::Value::String(s) => {
            let (s, cut) = shorten(&s, display);
            (serde_json::Value::String(s).to_string(), cut)
        }
        other => shorten(&other.to_string(), display),
    }
}

/// A string for display: shortened to [`DISPLAY_CHARS`] (with an ellipsis) when asked.
pub fn shorten(s: &str, display: Display) -> (String, bool) {
    match s.char_indices().nth(DISPLAY_CHARS) {
        Some((cut, _)) if display.truncate => {
            let keep = s[..cut]
                .char_indices()
                .nth(DISPLAY_CHARS - 1)
                .map_or(cut, |(i, _)| i);
            (format!("{}…", &s[..keep]), true)
        }
        _ => (s.to_string(), false),
    }
}

fn to_json(v: Option<&Value>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        None => J::Null,
        Some(Value::StringValue(s)) => J::String(s.clone()),
        Some(Value::BoolValue(b)) => J::Bool(*b),
        Some(Value::IntValue(i)) => J::from(*i),
        Some(Value::DoubleValue(d)) => match serde_json::Number::from_f64(*d) {
            Some(n) => J::Number(n),
            None => J::String(d.to_string()),
        },
        Some(Value::BytesValue(b)) => J::String(format!("0x{}", hex::encode(b))),
        // An index into a profile's string table: not text of its own.
        Some(Value::StringValueStrindex(i)) => J::String(format!("strindex {i}")),
        Some(Value::ArrayValue(a)) => J::Array(a.values.iter().map(any).collect()),
        Some(Value::KvlistValue(l)) => J::Object(
            l.values
                .iter()
                .map(|kv| {
                    let v = kv.value.as_ref().map_or(J::Null, any);
                    (kv.key.clone(), v)
                })
                .collect(),
        ),
    }
}

fn any(v: &AnyValue) -> serde_json::Value {
    to_json(v.value.as_ref())
}

/// How a record is named in the report: `span "name" (trace …, span …)`, `log record 2`,
/// `metric "name" point 1`. `index` is the row's position in its batch.
pub fn title(payload: &Payload, loc: RowLoc, index: usize, display: Display) -> String {
    let (trace, span) = rows::ids(payload, loc);
    let nonzero = |b: &[u8]| b.iter().any(|x| *x != 0);
    let mut ids = Vec::new();
    if nonzero(trace) {
        ids.push(format!("trace {}", hex::encode(trace)));
    }
    if nonzero(span) {
        ids.push(format!("span {}", hex::encode(span)));
    }
    let ids = match ids.is_empty() {
        true => String::new(),
        false => format!(" ({})", ids.join(", ")),
    };
    let quoted = |s: &str| serde_json::Value::String(shorten(s, display).0).to_string();
    let (r, s, i) = (
        loc.resource as usize,
        loc.scope as usize,
        loc.record as usize,
    );
    match payload {
        Payload::Traces(req) => {
            let name = req
                .resource_spans
                .get(r)
                .and_then(|x| x.scope_spans.get(s))
                .and_then(|x| x.spans.get(i))
                .map_or("", |x| x.name.as_str());
            format!("span {}{ids}", quoted(name))
        }
        Payload::Logs(_) => format!("log record {}{ids}", index + 1),
        Payload::Metrics(req) => {
            let name = req
                .resource_metrics
                .get(r)
                .and_then(|x| x.scope_metrics.get(s))
                .and_then(|x| x.metrics.get(i))
                .map_or("", |x| x.name.as_str());
            format!("metric {} point {}", quoted(name), loc.point + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> FieldValue {
        FieldValue::Any(Some(Value::StringValue(v.into())))
    }

    fn fields(list: &[(u8, &str, FieldValue)]) -> Fields {
        let mut f = Fields::default();
        for (section, label, value) in list {
            f.push(*section, label.to_string(), value.clone());
        }
        f
    }

    const FULL: Display = Display { truncate: false };
    const SHORT: Display = Display { truncate: true };

    #[test]
    fn lists_additions_changes_and_removals() {
        let before = fields(&[
            (3, "attribute prompt", s("my key is sk-1")),
            (3, "attribute debug", s("x")),
        ]);
        let after = fields(&[
            (0, "resource attribute env", s("prod")),
            (3, "attribute prompt", s("[REDACTED]")),
            (
                3,
                "attribute cost",
                FieldValue::Any(Some(Value::DoubleValue(0.00123))),
            ),
        ]);
        let mut cut = false;
        assert_eq!(
            lines(&before, &after, FULL, &mut cut),
            [
                "+ resource attribute env = \"prod\"",
                "~ attribute prompt: \"my key is sk-1\" -> \"[REDACTED]\"",
                "+ attribute cost = 0.00123",
                "- attribute debug",
            ]
        );
        assert!(!cut);
    }

    #[test]
    fn renders_nested_values_as_json_and_shortens_long_ones() {
        let nested = FieldValue::Any(Some(Value::KvlistValue(
            opentelemetry_proto::tonic::common::v1::KeyValueList {
                values: vec![KeyValue {
                    key: "a".into(),
                    value: Some(AnyValue {
                        value: Some(Value::IntValue(1)),
                    }),
                    ..KeyValue::default()
                }],
            },
        )));
        assert_eq!(render(&nested, FULL), ("{\"a\":1}".to_string(), false));
        let long = "x".repeat(DISPLAY_CHARS + 5);
        let (shown, cut) = render(&s(&long), SHORT);
        assert!(cut);
        assert_eq!(shown, format!("\"{}…\"", "x".repeat(DISPLAY_CHARS - 1)));
        assert_eq!(render(&s(&long), FULL).0.len(), long.len() + 2);
        let exact = "é".repeat(DISPLAY_CHARS);
        assert_eq!(shorten(&exact, SHORT), (exact.clone(), false));
    }
}
