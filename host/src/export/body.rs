//! What an export request carries: the decoded records, or their protobuf encoding.
//!
//! Destinations that send protobuf (`otlp_grpc`, `otlp_http` with `encoding = "protobuf"`)
//! have their payloads encoded as they are queued. The queue then holds exactly the bytes
//! `queue.max_bytes` counts (decoded records take two to three times as much memory), a
//! delivered request is freed as one buffer instead of one allocation per string, and a
//! retry resends the same bytes. Merging stays cheap: OTLP export requests are one repeated
//! field, so the encoding of a merged request is the concatenation of its parts' encodings.

use crate::otlp::Payload;
use bytes::Bytes;
use prost::Message;
use sluice_plugin_sdk::Signal;
use std::borrow::Cow;

/// The records of one export request.
#[derive(Debug, Clone)]
pub enum Body {
    /// Decoded, as the pipeline left them.
    Decoded(Payload),
    /// The protobuf encoding of one export request of `signal`, in parts to be concatenated.
    Encoded {
        /// The records' signal.
        signal: Signal,
        /// Encoded export requests of `signal`.
        parts: Vec<Bytes>,
    },
}

impl From<Payload> for Body {
    fn from(payload: Payload) -> Self {
        Body::Decoded(payload)
    }
}

impl Body {
    /// The records' signal.
    pub fn signal(&self) -> Signal {
        match self {
            Body::Decoded(p) => p.signal(),
            Body::Encoded { signal, .. } => *signal,
        }
    }

    /// The encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Body::Decoded(p) => super::encoded_len(p),
            Body::Encoded { parts, .. } => parts.iter().map(Bytes::len).sum(),
        }
    }

    /// The body encoded, and its size.
    pub fn into_encoded(self) -> (Body, usize) {
        match self {
            Body::Decoded(p) => {
                let bytes = Bytes::from(crate::otlp::protobuf::encode(&p));
                let len = bytes.len();
                let body = Body::Encoded {
                    signal: p.signal(),
                    parts: vec![bytes],
                };
                (body, len)
            }
            encoded => {
                let len = encoded.encoded_len();
                (encoded, len)
            }
        }
    }

    /// The protobuf encoding of the whole request.
    pub fn protobuf(&self) -> Bytes {
        match self {
            Body::Decoded(p) => Bytes::from(crate::otlp::protobuf::encode(p)),
            Body::Encoded { parts, .. } if parts.len() == 1 => parts[0].clone(),
            Body::Encoded { parts, .. } => {
                let mut all = Vec::with_capacity(self.encoded_len());
                for part in parts {
                    all.extend_from_slice(part);
                }
                Bytes::from(all)
            }
        }
    }

    /// The protobuf encoding of the whole request in parts to be concatenated (shared, not
    /// copied, when the body is encoded).
    pub fn protobuf_parts(&self) -> Vec<Bytes> {
        match self {
            Body::Decoded(p) => vec![Bytes::from(crate::otlp::protobuf::encode(p))],
            Body::Encoded { parts, .. } => parts.clone(),
        }
    }

    /// The records decoded (decoding an encoded body, which only exporters that do not send
    /// protobuf need; their queues keep bodies decoded).
    pub fn decoded(&self) -> Result<Cow<'_, Payload>, prost::DecodeError> {
        use opentelemetry_proto::tonic::collector::{
            logs::v1::ExportLogsServiceRequest, metrics::v1::ExportMetricsServiceRequest,
            trace::v1::ExportTraceServiceRequest,
        };
        let (signal, bytes) = match self {
            Body::Decoded(p) => return Ok(Cow::Borrowed(p)),
            Body::Encoded { signal, .. } => (*signal, self.protobuf()),
        };
        Ok(Cow::Owned(match signal {
            Signal::Span => Payload::Traces(ExportTraceServiceRequest::decode(bytes)?),
            Signal::Log => Payload::Logs(ExportLogsServiceRequest::decode(bytes)?),
            Signal::MetricPoint => Payload::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
        }))
    }

    /// Appends `other`'s records, of the same signal.
    pub fn absorb(&mut self, other: Body) {
        use crate::otlp::Payload::{Logs, Metrics, Traces};
        debug_assert_eq!(self.signal(), other.signal());
        match (self, other) {
            (Body::Decoded(a), Body::Decoded(b)) => match (a, b) {
                (Traces(a), Traces(b)) => a.resource_spans.extend(b.resource_spans),
                (Logs(a), Logs(b)) => a.resource_logs.extend(b.resource_logs),
                (Metrics(a), Metrics(b)) => a.resource_metrics.extend(b.resource_metrics),
                _ => unreachable!("only bodies of the same signal are merged"),
            },
            (Body::Encoded { parts, .. }, other) => {
                let (Body::Encoded { parts: more, .. }, _) = other.into_encoded() else {
                    unreachable!("into_encoded encodes");
                };
                parts.extend(more);
            }
            (this @ Body::Decoded(_), other) => {
                let empty = Body::Encoded {
                    signal: Signal::Log,
                    parts: Vec::new(),
                };
                let (mut encoded, _) = std::mem::replace(this, empty).into_encoded();
                encoded.absorb(other);
                *this = encoded;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    fn spans(names: &[&str]) -> Payload {
        Payload::Traces(ExportTraceServiceRequest {
            resource_spans: names
                .iter()
                .map(|n| ResourceSpans {
                    scope_spans: vec![ScopeSpans {
                        spans: vec![Span {
                            name: n.to_string(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .collect(),
        })
    }

    #[test]
    fn encoded_parts_concatenate_to_the_merged_request() {
        let (mut body, len) = Body::from(spans(&["a", "b"])).into_encoded();
        assert_eq!(len, super::super::encoded_len(&spans(&["a", "b"])));
        body.absorb(Body::from(spans(&["c"])));
        let (more, _) = Body::from(spans(&["d"])).into_encoded();
        body.absorb(more);
        let want = spans(&["a", "b", "c", "d"]);
        assert_eq!(body.signal(), Signal::Span);
        assert_eq!(body.encoded_len(), super::super::encoded_len(&want));
        assert_eq!(*body.decoded().unwrap(), want);
        assert_eq!(body.protobuf(), crate::otlp::protobuf::encode(&want));
    }

    #[test]
    fn a_decoded_body_merges_decoded_and_encodes_when_given_bytes() {
        let mut body = Body::from(spans(&["a"]));
        body.absorb(Body::from(spans(&["b"])));
        assert!(matches!(body, Body::Decoded(_)));
        body.absorb(Body::from(spans(&["c"])).into_encoded().0);
        assert!(matches!(body, Body::Encoded { .. }));
        assert_eq!(*body.decoded().unwrap(), spans(&["a", "b", "c"]));
    }
}
