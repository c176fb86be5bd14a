//! OTLP JSON lines: one `Export*ServiceRequest` object per line, hex trace and span ids,
//! 64-bit integers as strings — the format of the OpenTelemetry Collector's file exporter.

use super::Payload;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::logs::v1::ResourceLogs;
use opentelemetry_proto::tonic::metrics::v1::ResourceMetrics;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use serde::Deserialize;

/// Why one JSON line could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum JsonLineError {
    /// Not JSON, or not OTLP-shaped JSON. The message has quoted input replaced by `…`,
    /// because the parser quotes the offending value and that value may be a secret.
    #[error("not an OTLP JSON object: {0}")]
    Syntax(String),
    /// Valid JSON without any of the three top-level keys.
    #[error("no `resourceSpans`, `resourceLogs` or `resourceMetrics` key")]
    NoSignal,
}

impl From<serde_json::Error> for JsonLineError {
    fn from(e: serde_json::Error) -> Self {
        JsonLineError::Syntax(redact_quoted(&e.to_string()))
    }
}

/// Replaces everything between a pair of `"` or of `` ` `` with `…`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    open = Some(c);
                }
            }
        }
    }
    out
}

/// A line may carry any mix of the three signals' top-level keys.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyRequest {
    #[serde(default)]
    resource_spans: Option<Vec<ResourceSpans>>,
    #[serde(default)]
    resource_logs: Option<Vec<ResourceLogs>>,
    #[serde(default)]
    resource_metrics: Option<Vec<ResourceMetrics>>,
}

/// Decodes one JSON line into its payloads (one per signal key present, in the order traces,
/// logs, metrics).
pub fn decode_line(line: &str) -> Result<Vec<Payload>, JsonLineError> {
    let any: AnyRequest = serde_json::from_str(line)?;
    let mut out = Vec::new();
    if let Some(resource_spans) = any.resource_spans {
        out.push(Payload::Traces(ExportTraceServiceRequest {
            resource_spans,
        }));
    }
    if let Some(resource_logs) = any.resource_logs {
        out.push(Payload::Logs(ExportLogsServiceRequest { resource_logs }));
    }
    if let Some(resource_metrics) = any.resource_metrics {
        out.push(Payload::Metrics(ExportMetricsServiceRequest {
            resource_metrics,
        }));
    }
    if out.is_empty() {
        return Err(JsonLineError::NoSignal);
    }
    Ok(out)
}

/// Encodes a payload as one JSON line, without the trailing newline.
pub fn encode_line(payload: &Payload) -> String {
    // Serialising these plain structs cannot fail: every map key is a string.
    match payload {
        Payload::Traces(r) => serde_json::to_string(r),
        Payload::Logs(r) => serde_json::to_string(r),
        Payload::Metrics(r) => serde_json::to_string(r),
    }
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shaped exactly like the Collector's file exporter output (spec example).
    const COLLECTOR_LINE: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"resource-attr","value":{"stringValue":"resource-attr-val-1"}}]},"scopeSpans":[{"scope":{},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"","name":"operationA","startTimeUnixNano":"1581452772000000321","endTimeUnixNano":"1581452773000000789","droppedAttributesCount":1,"events":[{"timeUnixNano":"1581452773000000123","name":"event-with-attr","attributes":[{"key":"span-event-attr","value":{"stringValue":"span-event-attr-val"}}],"droppedAttributesCount":2}],"droppedEventsCount":1,"status":{"message":"status-cancelled","code":2}}]}]}]}"#;

    #[test]
    fn reads_collector_file_exporter_lines() {
        let payloads = decode_line(COLLECTOR_LINE).unwrap();
        let Payload::Traces(req) = &payloads[0] else {
            panic!("expected traces")
        };
        let span = &req.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(
            hex::encode(&span.trace_id),
            "5b8efff798038103d269b633813fc60c"
        );
        assert_eq!(span.start_time_unix_nano, 1581452772000000321);
        assert_eq!(span.events[0].attributes[0].key, "span-event-attr");
        assert_eq!(span.status.as_ref().unwrap().code, 2);
        // And back: ids stay hex, 64-bit numbers stay strings.
        let again = encode_line(&payloads[0]);
        assert!(
            again.contains(r#""traceId":"5b8efff798038103d269b633813fc60c""#),
            "{again}"
        );
        assert!(
            again.contains(r#""startTimeUnixNano":"1581452772000000321""#),
            "{again}"
        );
        assert_eq!(decode_line(&again).unwrap(), payloads);
    }

    #[test]
    fn rejects_json_without_a_signal() {
        assert!(matches!(
            decode_line(r#"{"foo":1}"#),
            Err(JsonLineError::NoSignal)
        ));
        assert!(matches!(
            decode_line("{not json"),
            Err(JsonLineError::Syntax(_))
        ));
    }
}
