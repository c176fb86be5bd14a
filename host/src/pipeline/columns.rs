//! One attribute across a batch: reading it as typed lanes, and writing lanes back.

use super::intrinsics::{self, Intrinsic};
use super::rows::{self, RowLoc};
use crate::otlp::Payload;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use sluice_plugin_sdk::{Column, Key, PackedStrings, Scope, ValueKind};

/// A set for one call's bookkeeping over the batch (foldhash, seeded per process).
pub(super) type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// Lanes are allocated on the first value of their kind and padded to one entry per row, so
/// a column of one type carries no empty lanes across the boundary.
#[derive(Default)]
struct Lanes {
    strings: Option<PackedStrings>,
    ints: Vec<i64>,
    doubles: Vec<f64>,
    bools: Vec<bool>,
}

impl Lanes {
    fn push_str(&mut self, row: usize, s: &str, total_bytes_hint: usize) {
        let strings = self.strings.get_or_insert_with(|| {
            let mut p = PackedStrings {
                bytes: Vec::with_capacity(total_bytes_hint),
                offsets: Vec::new(),
            };
            p.offsets.resize(row + 1, 0);
            p
        });
        pad_offsets(strings, row);
        strings.bytes.extend_from_slice(s.as_bytes());
        strings.offsets.push(strings.bytes.len() as u32);
    }
}

fn pad_offsets(p: &mut PackedStrings, row: usize) {
    let end = *p.offsets.last().unwrap_or(&0);
    p.offsets.resize(row + 1, end);
}

fn pad<T: Copy + Default>(lane: &mut Vec<T>, row: usize) {
    lane.resize(row, T::default());
}

fn find<'a>(attrs: &'a [KeyValue], name: &str) -> Option<&'a Value> {
    let mut hint = 0;
    find_hinted(attrs, name, &mut hint)
}

/// Finds `name`, trying position `*hint` first and moving the hint to where it was found.
/// Rows of one batch mostly come from the same instrumentation and keep their attributes in
/// the same order, so across a batch the hint turns a scan into one comparison.
fn position_hinted(attrs: &[KeyValue], name: &str, hint: &mut usize) -> Option<usize> {
    if attrs.get(*hint).is_some_and(|kv| kv.key == name) {
        return Some(*hint);
    }
    let i = attrs.iter().position(|kv| kv.key == name)?;
    *hint = i;
    Some(i)
}

fn find_hinted<'a>(attrs: &'a [KeyValue], name: &str, hint: &mut usize) -> Option<&'a Value> {
    let i = position_hinted(attrs, name, hint)?;
    attrs[i].value.as_ref().and_then(|v| v.value.as_ref())
}

/// Reads attribute `key` of every row (or an intrinsic field, see [`super::intrinsics`]).
pub fn read(payload: &Payload, rows: &[RowLoc], key: &Key) -> Column {
    if key.scope == Scope::Record && intrinsics::is_intrinsic(&key.name) {
        return read_intrinsic(payload, rows, &key.name);
    }
    let n = rows.len();
    let mut kinds = Vec::with_capacity(n);
    let mut lanes = Lanes::default();
    // Resource and scope attributes are shared: look each one up once per run of rows.
    let mut last: Option<(u32, u32, Option<&Value>)> = None;
    let mut hint = 0;
    for (row, loc) in rows.iter().enumerate() {
        let value = match key.scope {
            Scope::Record => find_hinted(
                rows::attrs(payload, *loc, Scope::Record),
                &key.name,
                &mut hint,
            ),
            shared => {
                let scope_idx = if shared == Scope::Resource {
                    0
                } else {
                    loc.scope
                };
                match last {
                    Some((r, s, v)) if r == loc.resource && s == scope_idx => v,
                    _ => {
                        let v = find(rows::attrs(payload, *loc, shared), &key.name);
                        last = Some((loc.resource, scope_idx, v));
                        v
                    }
                }
            }
        };
        let kind = match value {
            None => ValueKind::Absent,
            Some(Value::StringValue(s)) => {
                lanes.push_str(row, s, s.len() * n);
                ValueKind::Str
            }
            Some(Value::IntValue(i)) => {
                pad(&mut lanes.ints, row);
                lanes.ints.push(*i);
                ValueKind::Int
            }
            Some(Value::DoubleValue(d)) => {
                pad(&mut lanes.doubles, row);
                lanes.doubles.push(*d);
                ValueKind::Double
            }
            Some(Value::BoolValue(b)) => {
                pad(&mut lanes.bools, row);
                lanes.bools.push(*b);
                ValueKind::Boolean
            }
            Some(_) => ValueKind::Other,
        };
        kinds.push(kind);
    }
    finish(kinds, lanes, n)
}

fn read_intrinsic(payload: &Payload, rows: &[RowLoc], name: &str) -> Column {
    let n = rows.len();
    let mut kinds = Vec::with_capacity(n);
    let mut lanes = Lanes::default();
    for (row, loc) in rows.iter().enumerate() {
        kinds.push(match intrinsics::read(payload, *loc, name) {
            None => ValueKind::Absent,
            Some(Intrinsic::Str(s)) => {
                lanes.push_str(row, s, s.len() * n);
                ValueKind::Str
            }
            Some(Intrinsic::Int(i)) => {
                pad(&mut lanes.ints, row);
                lanes.ints.push(i);
                ValueKind::Int
            }
        });
    }
    finish(kinds, lanes, n)
}

/// Pads every lane that has a value to one entry per row.
fn finish(kinds: Vec<ValueKind>, mut lanes: Lanes, n: usize) -> Column {
    let mut strings = lanes.strings.take().unwrap_or_default();
    if !strings.offsets.is_empty() {
        pad_offsets(&mut strings, n);
    }
    if !lanes.ints.is_empty() {
        lanes.ints.resize(n, 0);
    }
    if !lanes.doubles.is_empty() {
        lanes.doubles.resize(n, 0.0);
    }
    if !lanes.bools.is_empty() {
        lanes.bools.resize(n, false);
    }
    Column {
        kinds,
        strings,
        ints: lanes.ints,
        doubles: lanes.doubles,
        bools: lanes.bools,
    }
}

/// The distinct keys of attribute list `scope` over `rows`, in first-seen order.
pub fn keys(payload: &Payload, rows: &[RowLoc], scope: Scope) -> PackedStrings {
    // Every attribute of every row is looked up here: SipHash was most of the call's time.
    let mut seen = FastSet::default();
    let mut out = PackedStrings::with_capacity(16, 256);
    let mut last: Option<(u32, u32)> = None;
    for loc in rows {
        // Shared lists are visited once per run of rows that share them.
        let id = match scope {
            Scope::Resource => Some((loc.resource, 0)),
            Scope::InstrumentationScope => Some((loc.resource, loc.scope)),
            Scope::Record => None,
        };
        if id.is_some() && id == last {
            continue;
        }
        last = id;
        for kv in rows::attrs(payload, *loc, scope) {
            if seen.insert(kv.key.as_str()) {
                out.push(&kv.key);
            }
        }
    }
    out
}

/// Checks that a column to write fits a batch of `n` rows; the message names the lane.
pub fn check_shape(values: &Column, n: usize) -> Result<(), String> {
    if values.kinds.len() != n {
        return Err(format!(
            "set-column: `kinds` has {} entries for {n} rows",
            values.kinds.len()
        ));
    }
    let lane = |name: &str, len: usize, kind: ValueKind| {
        let needed = values.kinds.contains(&kind);
        if (len != 0 || needed) && len != n {
            Err(format!(
                "set-column: lane `{name}` has {len} entries for {n} rows"
            ))
        } else {
            Ok(())
        }
    };
    lane("strings", values.strings.len(), ValueKind::Str)?;
    lane("ints", values.ints.len(), ValueKind::Int)?;
    lane("doubles", values.doubles.len(), ValueKind::Double)?;
    lane("bools", values.bools.len(), ValueKind::Boolean)?;
    values
        .strings
        .validate()
        .map_err(|e| format!("set-column: {e}"))
}

/// Writes a column (already shape-checked) into the rows: rows of kind `absent` or `other`
/// are left alone; on shared resource/scope attributes the last row wins.
pub fn write(payload: &mut Payload, rows: &[RowLoc], key: &Key, values: &Column) {
    let mut hint = 0;
    for (row, loc) in rows.iter().enumerate() {
        let value = match values.kinds[row] {
            ValueKind::Str => Value::StringValue(values.strings.get(row).unwrap_or("").to_string()),
            ValueKind::Int => Value::IntValue(values.ints[row]),
            ValueKind::Double => Value::DoubleValue(values.doubles[row]),
            ValueKind::Boolean => Value::BoolValue(values.bools[row]),
            ValueKind::Absent | ValueKind::Other => continue,
        };
        if let Some(attrs) = rows::attrs_mut(payload, *loc, key.scope) {
            set_hinted(attrs, &key.name, value, &mut hint);
        }
    }
}

/// Sets `name` to `value`, replacing the first existing entry or appending one.
pub fn set(attrs: &mut Vec<KeyValue>, name: &str, value: Value) {
    set_hinted(attrs, name, value, &mut 0);
}

fn set_hinted(attrs: &mut Vec<KeyValue>, name: &str, value: Value, hint: &mut usize) {
    let any = Some(AnyValue { value: Some(value) });
    match position_hinted(attrs, name, hint) {
        Some(i) => attrs[i].value = any,
        None => {
            // A new key lands at the end: the next row will likely have it there too.
            *hint = attrs.len();
            attrs.push(KeyValue {
                key: name.to_string(),
                value: any,
                ..Default::default()
            });
        }
    }
}

/// Removes every entry named `name` from the rows' attribute lists.
pub fn remove(payload: &mut Payload, rows: &[RowLoc], key: &Key) {
    for loc in rows {
        if let Some(attrs) = rows::attrs_mut(payload, *loc, key.scope) {
            attrs.retain(|kv| kv.key != key.name);
        }
    }
}
