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

/// The key of an export request's resource entries: field 1, length-delimited.
const RESOURCE_ENTRY_KEY: u8 = 0x0a;

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
        let raw = RawRequest::decode(bytes).map_err(|e| invalid(e.to_string()))?;
        let schema = schema::Schema::otlp();
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

    /// An export request of the resources `which`, their records copied as they arrived.
    pub fn encode(&self, which: &[usize]) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len(which));
        for &i in which {
            buf.put_u8(RESOURCE_ENTRY_KEY);
            self.resources[i]
                .encode_length_delimited(&mut buf)
                .expect("the buffer was sized by encoded_len");
        }
        buf.freeze()
    }
}

#[cfg(test)]
mod tests;
