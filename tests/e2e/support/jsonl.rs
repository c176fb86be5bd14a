//! OTLP JSON lines: reading, normalising and comparing them with a readable diff.
//!
//! Two lines are equal when they mean the same OTLP data. Both sides are parsed with
//! serde_json (formatting does not matter) and normalised the way the proto3 JSON mapping
//! allows: a field holding its default value (`""`, `0`, `"0"` for 64-bit integers, `false`,
//! `[]`, `{}`, `null`) means the same as the field left out, so such fields are removed,
//! and `2` and `2.0` are the same double. Never removed: the members of a `oneof` (an
//! `AnyValue`'s `stringValue`... and a data point's `asInt`/`asDouble`) and the `optional`
//! histogram fields `sum`, `min`, `max`, where presence itself is data.

use serde_json::{Map, Value};
use std::path::Path;

/// Fields whose presence is meaningful even when they hold a default value.
const KEEP: &[&str] = &[
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "bytesValue",
    "arrayValue",
    "kvlistValue",
    "asInt",
    "asDouble",
    "sum",
    "min",
    "max",
];

/// The normal form of an OTLP JSON value (see the module docs).
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let v = normalize(v);
                if KEEP.contains(&k.as_str()) || !is_default(k, &v) {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Number(n) => n.as_f64().map_or_else(|| v.clone(), number),
        other => other.clone(),
    }
}

/// One spelling per number: integral values as integers (`2.0` is `2`), others as doubles.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        Value::from(f as i64)
    } else {
        Value::from(f)
    }
}

fn is_default(key: &str, v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        // 64-bit integers are strings in OTLP JSON; other strings named like this do not exist.
        Value::String(s) => {
            s.is_empty()
                || (s == "0" && (key.ends_with("UnixNano") || key == "count" || key == "zeroCount"))
        }
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// The non-blank lines of a JSON lines file, parsed and normalised; a missing file is empty.
pub fn read(path: &Path) -> Vec<Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}

/// Parses and normalises JSON lines; `origin` names the text in errors.
pub fn parse(text: &str, origin: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{origin}:{}: not JSON: {e}", i + 1));
            normalize(&v)
        })
        .collect()
}

/// Writes normalised lines, one compact JSON object per line.
pub fn write(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Compares `actual` with `expected` line by line; returns a readable report of every
/// difference, or `None` when they are equal.
pub fn compare(expected: &[Value], actual: &[Value]) -> Option<String> {
    let mut report = String::new();
    if expected.len() != actual.len() {
        report.push_str(&format!(
            "expected {} lines, got {}\n",
            expected.len(),
            actual.len()
        ));
    }
    for i in 0..expected.len().max(actual.len()) {
        match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) if e == a => {}
            (Some(e), Some(a)) => {
                let mut diffs = Vec::new();
                diff("", e, a, &mut diffs);
                report.push_str(&format!("line {}: {} difference(s):\n", i + 1, diffs.len()));
                for d in diffs {
                    report.push_str(&format!("    {d}\n"));
                }
                report.push_str(&format!("  whole line, got:\n{}\n", pretty(a)));
            }
            (Some(e), None) => report.push_str(&format!(
                "line {}: missing, expected:\n{}\n",
                i + 1,
                pretty(e)
            )),
            (None, Some(a)) => report.push_str(&format!(
                "line {}: unexpected extra line:\n{}\n",
                i + 1,
                pretty(a)
            )),
            (None, None) => unreachable!(),
        }
    }
    (!report.is_empty()).then_some(report)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Every path at which `a` differs from `e`, as `path: expected X, got Y`.
fn diff(path: &str, e: &Value, a: &Value, out: &mut Vec<String>) {
    match (e, a) {
        (Value::Object(eo), Value::Object(ao)) => {
            for (k, ev) in eo {
                match ao.get(k) {
                    Some(av) => diff(&format!("{path}/{k}"), ev, av, out),
                    None => out.push(format!("{path}/{k}: missing, expected {ev}")),
                }
            }
            for (k, av) in ao.iter().filter(|(k, _)| !eo.contains_key(*k)) {
                out.push(format!("{path}/{k}: unexpected, got {av}"));
            }
        }
        (Value::Array(ea), Value::Array(aa)) => {
            for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                diff(&format!("{path}/{i}"), ev, av, out);
            }
            if ea.len() != aa.len() {
                out.push(format!(
                    "{path}: expected {} items, got {}",
                    ea.len(),
                    aa.len()
                ));
            }
        }
        _ if e == a => {}
        _ => out.push(format!(
            "{}: expected {e}, got {a}",
            if path.is_empty() { "/" } else { path }
        )),
    }
}

/// Whether expected files are rewritten instead of checked (`SLUICE_BLESS=1`).
pub fn blessing() -> bool {
    std::env::var_os("SLUICE_BLESS").is_some_and(|v| v == "1")
}
