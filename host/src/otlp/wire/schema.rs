//! The OTLP message schema, read from the protobuf descriptors `opentelemetry-proto` ships,
//! and a validator that walks encoded bytes against it.
//!
//! Why: sluice can forward an OTLP request's bytes unchanged instead of decoding them into prost
//! structs and encoding them again, but only if it refuses exactly the inputs prost would refuse
//! (a downstream that decodes with prost must never see bytes sluice let through as valid and it
//! then rejects). [`Schema::check`] answers that question without allocating and counts the rows
//! (spans, log records, metric data points) on the way, the number sluice meters and limits by.
//!
//! The field tables come from `opentelemetry_proto::DESCRIPTORS`, never from hand-written lists,
//! so a new OTLP field is picked up when the crate is upgraded. The only hand-written knowledge
//! is `ROW_FIELDS`: which repeated field of which message holds the rows.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use sluice_plugin_sdk::Signal;

#[path = "walk.rs"]
mod walk;

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;

/// Where the rows are: each occurrence of the named field of the named message is one row.
///
/// Every other message's rows are the sum of the rows of the messages nested in it, with prost's
/// oneof merging applied (see [`Rows`]). For metrics, a `Metric`'s rows are its data points,
/// found through its `data` oneof, so `Metric` itself needs no entry.
const ROW_FIELDS: &[(&str, &str)] = &[
    ("opentelemetry.proto.trace.v1.ScopeSpans", "spans"),
    ("opentelemetry.proto.logs.v1.ScopeLogs", "log_records"),
    ("opentelemetry.proto.metrics.v1.Gauge", "data_points"),
    ("opentelemetry.proto.metrics.v1.Sum", "data_points"),
    ("opentelemetry.proto.metrics.v1.Histogram", "data_points"),
    (
        "opentelemetry.proto.metrics.v1.ExponentialHistogram",
        "data_points",
    ),
    ("opentelemetry.proto.metrics.v1.Summary", "data_points"),
];

/// The most oneofs carrying rows that one message may have; the walk keeps their state in a
/// fixed array on the stack so it never allocates.
const MAX_ROW_ONEOFS: usize = 2;

/// Marks a field that belongs to no row-carrying oneof.
const NO_SLOT: u8 = u8::MAX;

/// The OTLP message types, indexed for the validator. Built once; see [`otlp`].
pub struct Schema {
    msgs: Vec<MsgInfo>,
    by_name: HashMap<&'static str, u32>,
    /// `Export*ServiceRequest`, `Resource*`, `Scope*`, in [`signal_index`] order.
    requests: [Msg; 3],
    resources: [Msg; 3],
    scopes: [Msg; 3],
    resource: Msg,
}

/// A message type of a [`Schema`]: an index into its table, cheap to copy and compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Msg(u32);

/// One message type: its name (for errors) and its fields indexed by field number.
struct MsgInfo {
    name: &'static str,
    /// Dense by field number (OTLP numbers are small), so a lookup is an index, not a hash.
    fields: Box<[Option<Field>]>,
}

/// What the walk needs to know about one field.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
    repeated: bool,
    rows: Rows,
    /// Index of the row-carrying oneof this field is a variant of, or [`NO_SLOT`].
    slot: u8,
    /// The message type, for [`Kind::Message`].
    ty: u32,
}

/// How a field is encoded, reduced to what decides validity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// int32/64, uint32/64, sint32/64, bool, enum: any varint is accepted (prost checks no
    /// enum ranges and truncates wider values).
    Varint,
    /// fixed32, sfixed32, float.
    Fixed32,
    /// fixed64, sfixed64, double.
    Fixed64,
    /// Must be valid UTF-8.
    Str,
    /// Anything.
    Bytes,
    /// A nested message; counts against the recursion limit.
    Message,
}

/// What one occurrence of a field adds to its message's rows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rows {
    /// Nothing: a scalar, or a message type that can hold no rows.
    None,
    /// One row (a span, a log record, a data point).
    Count,
    /// The rows of the nested message.
    Sum,
}

/// The schema of the OTLP messages, built from `opentelemetry_proto::DESCRIPTORS` on first use.
pub fn otlp() -> &'static Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
        let set = FileDescriptorSet::decode(opentelemetry_proto::DESCRIPTORS)
            .expect("opentelemetry-proto's descriptors decode");
        Schema::build(&set)
    });
    &SCHEMA
}

fn signal_index(signal: Signal) -> usize {
    match signal {
        Signal::Span => 0,
        Signal::Log => 1,
        Signal::MetricPoint => 2,
    }
}

impl Schema {
    /// The message type with this full name (e.g. `opentelemetry.proto.trace.v1.ScopeSpans`).
    pub fn message(&self, full_name: &str) -> Option<Msg> {
        self.by_name.get(full_name).map(|&i| Msg(i))
    }

    /// The full name of a message type, for diagnostics.
    pub fn name(&self, msg: Msg) -> &'static str {
        self.msgs[msg.0 as usize].name
    }

    /// The `Export*ServiceRequest` of a signal: what an OTLP request body is.
    pub fn request(&self, signal: Signal) -> Msg {
        self.requests[signal_index(signal)]
    }

    /// `ResourceSpans`, `ResourceLogs` or `ResourceMetrics`.
    pub fn resource_of(&self, signal: Signal) -> Msg {
        self.resources[signal_index(signal)]
    }

    /// `ScopeSpans`, `ScopeLogs` or `ScopeMetrics`.
    pub fn scope_of(&self, signal: Signal) -> Msg {
        self.scopes[signal_index(signal)]
    }

    /// `opentelemetry.proto.resource.v1.Resource`.
    pub fn resource(&self) -> Msg {
        self.resource
    }

    fn build(set: &FileDescriptorSet) -> Schema {
        // Pass 1: every message (nested ones too) gets an index, so fields can refer forward.
        let mut descs: Vec<(&'static str, &DescriptorProto)> = Vec::new();
        for file in &set.file {
            for m in &file.message_type {
                collect(file.package(), m, &mut descs);
            }
        }
        let by_name: HashMap<&'static str, u32> = descs
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, i as u32))
            .collect();

        // Pass 2: fields.
        let mut msgs: Vec<MsgInfo> = descs
            .iter()
            .map(|(name, d)| MsgInfo {
                name,
                fields: fields_of(name, d, &by_name),
            })
            .collect();

        // A renamed row field in a future OTLP would otherwise silently count nothing.
        for &(m, f) in ROW_FIELDS {
            let fields = &msgs[by_name[m] as usize].fields;
            let field = fields.iter().flatten().find(|x| x.name == f);
            assert!(
                field.is_some_and(|x| x.repeated && x.kind == Kind::Message),
                "{m}.{f}: not a repeated message field"
            );
        }

        // Which message types can hold rows at all: a fixed point over the nesting, since a
        // message holds rows when a field counts them or nests a message that holds them.
        let mut has_rows = vec![false; msgs.len()];
        loop {
            let mut changed = false;
            for (i, m) in msgs.iter().enumerate() {
                let rows = m.fields.iter().flatten().any(|f| {
                    f.rows == Rows::Count || (f.kind == Kind::Message && has_rows[f.ty as usize])
                });
                if rows && !has_rows[i] {
                    has_rows[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (i, (_, d)) in descs.iter().enumerate() {
            let fields = &mut msgs[i].fields;
            for f in fields.iter_mut().flatten() {
                if f.rows == Rows::None && f.kind == Kind::Message && has_rows[f.ty as usize] {
                    f.rows = Rows::Sum;
                }
            }
            // A oneof needs tracking when any variant carries rows: a later different variant
            // replaces the earlier one, rows and all (prost's oneof merge).
            let mut slots = 0usize;
            for oneof in 0..d.oneof_decl.len() as i32 {
                let in_oneof =
                    |fd: &prost_types::FieldDescriptorProto| fd.oneof_index == Some(oneof);
                let carries =
                    d.field.iter().filter(|fd| in_oneof(fd)).any(|fd| {
                        fields[fd.number() as usize].is_some_and(|f| f.rows != Rows::None)
                    });
                if !carries {
                    continue;
                }
                assert!(
                    slots < MAX_ROW_ONEOFS,
                    "{}: too many oneofs with rows",
                    msgs[i].name
                );
                for fd in d.field.iter().filter(|fd| in_oneof(fd)) {
                    if let Some(f) = fields[fd.number() as usize].as_mut() {
                        f.slot = slots as u8;
                    }
                }
                slots += 1;
            }
        }

        let get = |name: &str| Msg(*by_name.get(name).unwrap_or_else(|| panic!("no {name}")));
        Schema {
            requests: [
                get("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"),
                get("opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest"),
                get("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest"),
            ],
            resources: [
                get("opentelemetry.proto.trace.v1.ResourceSpans"),
                get("opentelemetry.proto.logs.v1.ResourceLogs"),
                get("opentelemetry.proto.metrics.v1.ResourceMetrics"),
            ],
            scopes: [
                get("opentelemetry.proto.trace.v1.ScopeSpans"),
                get("opentelemetry.proto.logs.v1.ScopeLogs"),
                get("opentelemetry.proto.metrics.v1.ScopeMetrics"),
            ],
            resource: get("opentelemetry.proto.resource.v1.Resource"),
            msgs,
            by_name,
        }
    }
}

/// Adds a message and its nested messages under their full names. The names are leaked: the
/// schema lives for the whole process and errors carry them as `&'static str`.
fn collect<'d>(
    scope: &str,
    m: &'d DescriptorProto,
    out: &mut Vec<(&'static str, &'d DescriptorProto)>,
) {
    let name: &'static str = Box::leak(format!("{scope}.{}", m.name()).into_boxed_str());
    out.push((name, m));
    for nested in &m.nested_type {
        collect(name, nested, out);
    }
}

fn fields_of(
    msg: &str,
    d: &DescriptorProto,
    by_name: &HashMap<&'static str, u32>,
) -> Box<[Option<Field>]> {
    let max = d.field.iter().map(|f| f.number()).max().unwrap_or(0);
    assert!(
        (0..=4096).contains(&max),
        "{msg}: field number {max} too large for a dense table"
    );
    let mut fields = vec![None; max as usize + 1];
    for fd in &d.field {
        let mut ty = 0;
        let kind = match fd.r#type() {
            Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 => Kind::Varint,
            Type::Sint32 | Type::Sint64 | Type::Bool | Type::Enum => Kind::Varint,
            Type::Fixed32 | Type::Sfixed32 | Type::Float => Kind::Fixed32,
            Type::Fixed64 | Type::Sfixed64 | Type::Double => Kind::Fixed64,
            Type::String => Kind::Str,
            Type::Bytes => Kind::Bytes,
            // Map fields are repeated messages of their entry type, and are walked as such.
            Type::Message => {
                let name = fd.type_name().trim_start_matches('.');
                ty = *by_name
                    .get(name)
                    .unwrap_or_else(|| panic!("{msg}: no type {name}"));
                Kind::Message
            }
            // proto2 only; OTLP is proto3.
            Type::Group => panic!("{msg}.{}: groups are not supported", fd.name()),
        };
        let name: &'static str = Box::leak(fd.name().to_owned().into_boxed_str());
        let counts = ROW_FIELDS.iter().any(|&(m, f)| m == msg && f == name);
        fields[fd.number() as usize] = Some(Field {
            name,
            kind,
            repeated: fd.label() == Label::Repeated,
            rows: if counts { Rows::Count } else { Rows::None },
            slot: NO_SLOT,
            ty,
        });
    }
    fields.into_boxed_slice()
}

/// Why bytes were refused: the message and field being read, where, and what was wrong.
///
/// It never holds any of the bytes themselves, which may be secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// Full name of the message whose fields were being read.
    pub message: &'static str,
    /// The field being read: its number and, for a field the schema knows, its name. `None`
    /// when the field's key itself could not be read.
    pub field: Option<(u32, Option<&'static str>)>,
    /// Where that field (or key) starts, from the start of the bytes given to [`Schema::check`].
    pub offset: usize,
    /// What was wrong.
    pub kind: WireErrorKind,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some((n, Some(name))) => write!(f, "field {n} ({name}) of ")?,
            Some((n, None)) => write!(f, "unknown field {n} of ")?,
            None => {}
        }
        write!(f, "{} at byte {}: {}", self.message, self.offset, self.kind)
    }
}

impl std::error::Error for WireError {}

/// The ways bytes can fail to decode, each one prost refuses too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireErrorKind {
    /// A varint ran past its message or was longer than 10 bytes or 64 bits.
    #[error("invalid varint")]
    Varint,
    /// A key above `u32::MAX`.
    #[error("invalid key")]
    Key,
    /// Field number 0.
    #[error("field number 0")]
    TagZero,
    /// Wire type 6 or 7.
    #[error("invalid wire type {0}")]
    InvalidWireType(u8),
    /// A known field with the wrong wire type.
    #[error("wire type {actual} where {expected} is expected")]
    WrongWireType {
        /// The wire type found.
        actual: u8,
        /// What the field's type needs.
        expected: &'static str,
    },
    /// A length (or fixed width) that runs past the enclosing message.
    #[error("length {len} exceeds the {left} bytes left")]
    Length {
        /// The length the field claims.
        len: u64,
        /// The bytes left in the enclosing message after the length.
        left: usize,
    },
    /// Packed fixed-width values whose length is not a multiple of their width.
    #[error("packed length {len} is not a multiple of {width}")]
    Packed {
        /// The packed field's length.
        len: u64,
        /// The width of one value.
        width: u8,
    },
    /// A `string` field that is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    Utf8,
    /// An end-group key without its start, or with another field number.
    #[error("unexpected end group")]
    EndGroup,
    /// More nesting than prost's recursion limit allows.
    #[error("recursion limit reached")]
    RecursionLimit,
}
