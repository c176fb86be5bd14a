//! Tests of OTLP/HTTP body decoding and encoding.

use super::*;

#[test]
fn parses_content_type() {
    let parse = |v: &str| Format::from_content_type(Some(&HeaderValue::from_str(v).unwrap()));
    assert_eq!(parse("application/x-protobuf"), Some(Format::Protobuf));
    assert_eq!(parse("application/protobuf"), Some(Format::Protobuf));
    assert_eq!(parse("Application/JSON; charset=utf-8"), Some(Format::Json));
    assert_eq!(parse("text/plain"), None);
    assert_eq!(parse("application/jsonx"), None);
    assert_eq!(Format::from_content_type(None), None);
}

/// The JSON decoding of a body (protobuf bodies go to the pipeline as bytes).
fn json(signal: Signal, body: &str) -> Result<Payload, String> {
    match signal.decode(Format::Json, Bytes::copy_from_slice(body.as_bytes()))? {
        Incoming::Decoded(payload) => Ok(payload),
        Incoming::Protobuf { .. } => panic!("a JSON body was not decoded"),
    }
}

#[test]
fn decode_errors_never_echo_the_body() {
    let secret = "sk-live-SECRET";
    let bodies = [
        format!(r#"{{"resourceSpans":"{secret}"}}"#),
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{secret}"}}]}}]}}]}}"#
        ),
        format!(r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"{secret}""#),
        format!("{secret} is not json"),
    ];
    for body in bodies {
        let err = json(Signal::Traces, &body).unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        assert!(
            err.starts_with("invalid JSON ExportTraceServiceRequest: "),
            "{err}"
        );
    }
}

#[test]
fn json_is_decoded_and_protobuf_handed_on_as_bytes() {
    let body = r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"7"}]}}]}]}]}"#;
    let payload = json(Signal::Metrics, body).unwrap();
    let Payload::Metrics(req) = &payload else {
        panic!("expected metrics")
    };
    assert_eq!(
        req.resource_metrics[0].scope_metrics[0].metrics[0].name,
        "m"
    );
    let bytes = Bytes::from(crate::otlp::protobuf::encode(&payload));
    let Incoming::Protobuf {
        signal,
        bytes: handed,
    } = Signal::Metrics
        .decode(Format::Protobuf, bytes.clone())
        .unwrap()
    else {
        panic!("protobuf was decoded")
    };
    assert_eq!(signal, sluice_plugin_sdk::Signal::MetricPoint);
    assert_eq!(handed, bytes);
    // An empty JSON body is not JSON; `{}` is an empty request.
    assert!(json(Signal::Logs, "").is_err());
    assert!(json(Signal::Traces, "{}").unwrap().is_empty());
}

#[test]
fn success_responses_follow_the_request_encoding() {
    let ok = Signal::Traces.response(Format::Json, Accepted::default());
    assert_eq!(std::str::from_utf8(&ok).unwrap(), "{}");
    assert!(
        Signal::Traces
            .response(Format::Protobuf, Accepted::default())
            .is_empty()
    );
    let partial = Accepted {
        rejected: 2,
        message: "dropped".into(),
    };
    let json: serde_json::Value =
        serde_json::from_slice(&Signal::Logs.response(Format::Json, partial.clone())).unwrap();
    let p = &json["partialSuccess"];
    assert_eq!(p["errorMessage"], "dropped");
    // proto3 JSON writes int64 as a string; accept either spelling.
    assert!(
        p["rejectedLogRecords"] == 2 || p["rejectedLogRecords"] == "2",
        "{json}"
    );
    let bytes = Signal::Logs.response(Format::Protobuf, partial);
    let decoded: opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse =
        prost::Message::decode(&bytes[..]).unwrap();
    assert_eq!(decoded.partial_success.unwrap().rejected_log_records, 2);
}
