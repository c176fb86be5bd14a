//! OTLP requests read at the wire level: each resource decoded, its records kept as the
//! bytes they arrived as.
//!
//! When no plugin wants a signal, sluice needs nothing from its records but a tenant, a
//! route and a count, and all three live at the resource level. Such a request is checked
//! exactly as strictly as decoding it would be ([`schema`]), split by resource, and its scope
//! messages go to the export queues as slices of the request buffer: no record is decoded
//! into owned structures or encoded again (the brief's "unchanged records re-emitted as the
//! bytes they arrived as").

pub mod schema;
#[cfg(test)]
pub(crate) mod testgen;

use bytes::{BufMut, Bytes, BytesMut};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use sluice_plugin_sdk::Signal;

/// The recursion budget prost has left for the fields of a resource or scope message: it
/// decodes a request with 100, and the request and its resource entry take one each.
const SCOPE_DEPTH_LEFT: u32 = 98;

/// The keys (field number and wire type 2, length-delimited) of an export request's resource
/// entries (field 1), and of a resource entry's resource (1), scopes (2) and schema URL (3),
/// in every signal's messages.
const RESOURCE_ENTRY_KEY: u8 = 0x0a;
const RESOURCE_KEY: u8 = 0x0a;
const SCOPE_KEY: u8 = 0x12;
const SCHEMA_URL_KEY: u8 = 0x1a;

/// `Export{Trace,Logs,Metrics}ServiceRequest` with the scope messages left encoded. The three
/// requests have this shape: field 1 holds the resource entries.
#[derive(Clone, PartialEq, Message)]
struct RawRequest {
    #[prost(message, repeated, tag = "1")]
    resources: Vec<RawResource>,
}

/// `Resource{Spans,Logs,Metrics}` with its scope messages as bytes, which prost takes as
/// slices of the request buffer when it decodes from [`Bytes`].
#[derive(Clone, PartialEq, Message)]
struct RawResource {
    #[prost(message, optional, tag = "1")]
    resource: Option<Resource>,
    #[prost(bytes = "bytes", repeated, tag = "2")]
    scopes: Vec<Bytes>,
    #[prost(string, tag = "3")]
    schema_url: String,
}

/// A request that is not valid OTLP protobuf. The message names the request type, the field
/// and the byte offset, never content.
#[derive(Debug, thiserror::Error)]
#[error("invalid protobuf {request}: {reason}")]
pub struct InvalidRequest {
    /// `ExportTraceServiceRequest`, ...
    pub request: &'static str,
    /// What is wrong, and where.
    pub reason: String,
}

/// An export request checked and split by resource, its records still encoded.
#[derive(Debug, Clone)]
pub struct WireRequest {
    signal: Signal,
    resources: Vec<RawResource>,
    /// Rows (spans, log records, metric data points) per resource.
    rows: Vec<u64>,
}

impl WireRequest {
    /// Reads an encoded export request of `signal`. Accepts exactly what decoding it with
    /// prost would accept; the records are checked, not decoded.
    pub fn parse(signal: Signal, bytes: Bytes) -> Result<WireRequest, InvalidRequest> {
        let request = crate::otlp::protobuf::request_name(signal);
        let invalid = |reason: String| InvalidRequest { request, reason };
        let raw = RawRequest::decode(bytes.clone()).map_err(|e| {
            // prost's message names the types it decoded, which are this module's; decoding
            // the request as its real type (it fails the same way) names the OTLP fields.
            let real = crate::otlp::protobuf::decode_request(&bytes, signal).err();
            invalid(real.map_or_else(|| e.to_string(), |real| real.to_string()))
        })?;
        let schema = schema::otlp();
        let scope = schema.scope_of(signal);
        let mut rows = Vec::with_capacity(raw.resources.len());
        for (i, r) in raw.resources.iter().enumerate() {
            let mut n = 0;
            for (j, s) in r.scopes.iter().enumerate() {
                n += schema
                    .check(scope, s, SCOPE_DEPTH_LEFT)
                    .map_err(|e| invalid(format!("resource {i}, scope {j}: {e}")))?;
            }
            rows.push(n);
        }
        Ok(WireRequest {
            signal,
            resources: raw.resources,
            rows,
        })
    }

    /// The signal of its rows.
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// Its rows: spans, log records or metric data points.
    pub fn record_count(&self) -> u64 {
        self.rows.iter().sum()
    }

    /// Each resource (decoded) with its number of rows, in request order.
    pub fn resources(&self) -> impl Iterator<Item = (&Option<Resource>, u64)> {
        self.resources
            .iter()
            .map(|r| &r.resource)
            .zip(self.rows.iter().copied())
    }

    /// Each resource, to edit (the tenant stamp); written back as edited by [`Self::encode`].
    pub fn resources_mut(&mut self) -> impl Iterator<Item = &mut Option<Resource>> {
        self.resources.iter_mut().map(|r| &mut r.resource)
    }

    /// The encoded size of the export request holding the resources `which` (indices in
    /// request order).
    pub fn encoded_len(&self, which: &[usize]) -> usize {
        which
            .iter()
            .map(|&i| {
                let len = self.resources[i].encoded_len();
                1 + prost::length_delimiter_len(len) + len
            })
            .sum()
    }

    /// An export request of the resources `which`, in parts to be concatenated: the
    /// resources and field keys encoded, the records as slices of the request buffer (the
    /// exporter copies them once, into its own buffer).
    pub fn encode(&self, which: &[usize]) -> Vec<Bytes> {
        let mut head = BytesMut::new();
        let mut parts = Vec::with_capacity(which.len() * 3);
        for &i in which {
            let r = &self.resources[i];
            head.put_u8(RESOURCE_ENTRY_KEY);
            delimit(r.encoded_len(), &mut head);
            if let Some(resource) = &r.resource {
                head.put_u8(RESOURCE_KEY);
                delimit(resource.encoded_len(), &mut head);
                resource.encode_raw(&mut head);
            }
            for scope in &r.scopes {
                head.put_u8(SCOPE_KEY);
                delimit(scope.len(), &mut head);
                parts.push(head.split().freeze());
                parts.push(scope.clone());
            }
            if !r.schema_url.is_empty() {
                head.put_u8(SCHEMA_URL_KEY);
                delimit(r.schema_url.len(), &mut head);
                head.put_slice(r.schema_url.as_bytes());
            }
        }
        if !head.is_empty() {
            parts.push(head.freeze());
        }
        parts
    }
}

/// Writes a length prefix.
fn delimit(len: usize, buf: &mut BytesMut) {
    prost::encode_length_delimiter(len, buf).expect("a BytesMut grows");
}

#[cfg(test)]
mod tests;
