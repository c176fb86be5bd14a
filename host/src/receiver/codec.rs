//! OTLP/HTTP bodies: the two encodings, decoding a request of each signal, and encoding
//! the response.

use super::grpc::{logs_response, metrics_response, trace_response};
use crate::ingest::{Accepted, Incoming};
use crate::otlp::Payload;
use bytes::Bytes;
use http::HeaderValue;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

pub(super) const PROTOBUF: &str = "application/x-protobuf";
pub(super) const JSON: &str = "application/json";

/// A request or response body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Binary protobuf (`application/x-protobuf`).
    Protobuf,
    /// OTLP JSON (`application/json`).
    Json,
}

impl Format {
    /// Parses a `Content-Type` value (parameters such as `charset` are ignored); `None` for
    /// anything OTLP/HTTP does not define.
    pub fn from_content_type(value: Option<&HeaderValue>) -> Option<Format> {
        let value = value?.to_str().ok()?;
        let media = value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            // `application/protobuf` is the registered name; some clients send it.
            PROTOBUF | "application/protobuf" => Some(Format::Protobuf),
            JSON => Some(Format::Json),
            _ => None,
        }
    }

    pub(super) fn content_type(self) -> &'static str {
        match self {
            Format::Protobuf => PROTOBUF,
            Format::Json => JSON,
        }
    }
}

/// The signal an endpoint takes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Signal {
    Traces,
    Logs,
    Metrics,
}

impl Signal {
    pub(super) fn name(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
        }
    }

    /// The pipeline's name for the signal.
    pub(super) fn sdk(self) -> sluice_plugin_sdk::Signal {
        match self {
            Signal::Traces => sluice_plugin_sdk::Signal::Span,
            Signal::Logs => sluice_plugin_sdk::Signal::Log,
            Signal::Metrics => sluice_plugin_sdk::Signal::MetricPoint,
        }
    }

    /// A (decompressed) body as the pipeline takes it: JSON decoded, protobuf as bytes (the
    /// pipeline decodes them only if a plugin wants the records). JSON errors name the
    /// request type and where decoding failed, never body content: serde messages quote
    /// offending values, so only their category and position are kept.
    pub(super) fn decode(self, format: Format, body: Bytes) -> Result<Incoming, String> {
        fn json<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, String> {
            serde_json::from_slice(body).map_err(|e| {
                let kind = match e.classify() {
                    serde_json::error::Category::Data => "unexpected value",
                    serde_json::error::Category::Eof => "truncated JSON",
                    _ => "malformed JSON",
                };
                format!(
                    "invalid JSON {what}: {kind} at line {} column {}",
                    e.line(),
                    e.column()
                )
            })
        }
        if format == Format::Protobuf {
            return Ok(Incoming::Protobuf {
                signal: self.sdk(),
                bytes: body,
            });
        }
        let what = crate::otlp::protobuf::request_name(self.sdk());
        Ok(Incoming::Decoded(match self {
            Signal::Traces => Payload::Traces(json::<ExportTraceServiceRequest>(&body, what)?),
            Signal::Logs => Payload::Logs(json::<ExportLogsServiceRequest>(&body, what)?),
            Signal::Metrics => Payload::Metrics(json::<ExportMetricsServiceRequest>(&body, what)?),
        }))
    }

    /// The success response body.
    pub(super) fn response(self, format: Format, accepted: Accepted) -> Vec<u8> {
        match self {
            Signal::Traces => encode(format, &trace_response(accepted)),
            Signal::Logs => encode(format, &logs_response(accepted)),
            Signal::Metrics => encode(format, &metrics_response(accepted)),
        }
    }
}

fn encode<T: prost::Message + serde::Serialize>(format: Format, message: &T) -> Vec<u8> {
    match format {
        Format::Protobuf => message.encode_to_vec(),
        Format::Json => {
            // Serialising these plain structs cannot fail. An unset `partialSuccess` is left
            // out rather than written as `null`, like the Collector does.
            let mut value = serde_json::to_value(message).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                object.retain(|_, v| !v.is_null());
            }
            value.to_string().into_bytes()
        }
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
