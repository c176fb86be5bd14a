//! `WireRequest` against prost: what it accepts, what it counts, what it writes back.

use super::*;
use crate::otlp::Payload;
use crate::otlp::protobuf::{decode_request, encode};
use crate::receiver::testkit::{logs, traces};

const SIGNALS: [Signal; 3] = [Signal::Span, Signal::Log, Signal::MetricPoint];

/// Every resource of the request, re-encoded from the wire form.
fn all(request: &WireRequest) -> Vec<usize> {
    (0..request.resources.len()).collect()
}

#[test]
fn parse_accepts_exactly_what_prost_decodes_and_writes_back_the_same_records() {
    let mut checked = 0;
    for signal in SIGNALS {
        for (i, bytes) in testgen::corpus(signal, 7).iter().enumerate() {
            let mut inputs = vec![bytes.clone()];
            // Mutations of every tenth entry keep the run short; the schema tests run them all.
            if i % 10 == 0 {
                inputs.extend(testgen::mutations(bytes, i as u64));
            }
            for input in inputs {
                checked += 1;
                let decoded = decode_request(&input, signal);
                let wire = WireRequest::parse(signal, Bytes::from(input));
                assert_eq!(
                    wire.is_ok(),
                    decoded.is_ok(),
                    "{signal:?} entry {i}: wire {:?}, prost {:?}",
                    wire.as_ref().err(),
                    decoded.as_ref().err()
                );
                let (Ok(wire), Ok(decoded)) = (wire, decoded) else {
                    continue;
                };
                assert_eq!(wire.record_count(), decoded.record_count() as u64);
                let written = wire.encode(&all(&wire)).concat();
                assert_eq!(written.len(), wire.encoded_len(&all(&wire)));
                // Compared re-encoded: the corpus has NaN doubles, which are never `==`.
                let back = decode_request(&written, signal).unwrap();
                assert_eq!(encode(&back), encode(&decoded), "{signal:?} entry {i}");
            }
        }
    }
    assert!(checked > 1_000, "only {checked} inputs");
}

#[test]
fn a_subset_keeps_request_order_and_records_are_slices_of_the_request() {
    let mut request = traces("a");
    for name in ["b", "c"] {
        request
            .resource_spans
            .push(traces(name).resource_spans.remove(0));
    }
    let bytes = Bytes::from(encode(&Payload::Traces(request.clone())));
    let wire = WireRequest::parse(Signal::Span, bytes.clone()).unwrap();
    let inside = bytes.as_ptr_range();
    for scope in wire.resources.iter().flat_map(|r| &r.scopes) {
        assert!(inside.contains(&scope.as_ptr()), "a scope was copied");
    }
    let parts = wire.encode(&[0, 2]);
    // The records of the picked resources are among the parts as they are, not copies.
    let records = &wire.resources[2].scopes[0];
    assert!(
        parts
            .iter()
            .any(|p| p.as_ptr() == records.as_ptr() && p.len() == records.len())
    );
    let picked = decode_request(&parts.concat(), Signal::Span).unwrap();
    request.resource_spans.remove(1);
    assert_eq!(picked, Payload::Traces(request));
    assert_eq!(
        wire.resources().map(|(_, n)| n).collect::<Vec<_>>(),
        [1, 1, 1]
    );
}

#[test]
fn edited_resources_are_written_back() {
    let bytes = Bytes::from(encode(&Payload::Logs(logs("x"))));
    let mut wire = WireRequest::parse(Signal::Log, bytes).unwrap();
    for resource in wire.resources_mut() {
        resource.get_or_insert_default().dropped_attributes_count = 3;
    }
    let Payload::Logs(back) = decode_request(&wire.encode(&[0]).concat(), Signal::Log).unwrap()
    else {
        panic!("logs")
    };
    let resource = back.resource_logs[0].resource.as_ref().unwrap();
    assert_eq!(resource.dropped_attributes_count, 3);
    assert_eq!(
        back.resource_logs[0].scope_logs,
        logs("x").resource_logs[0].scope_logs
    );
}

#[test]
fn errors_name_the_request_and_where_and_never_the_content() {
    let mut request = traces("SECRET\u{e9}");
    request
        .resource_spans
        .push(request.resource_spans[0].clone());
    let mut bytes = encode(&Payload::Traces(request));
    // Break the UTF-8 of the second resource's span name: `é` is 0xc3 0xa9.
    let at = bytes.iter().rposition(|b| *b == 0xa9).unwrap();
    bytes[at] = 0x41;
    let err = WireRequest::parse(Signal::Span, Bytes::from(bytes.clone())).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("invalid protobuf ExportTraceServiceRequest: resource 1, scope 0: "),
        "{message}"
    );
    assert!(message.contains("Span"), "{message}");
    assert!(!message.contains("SECRET"), "{message}");
    // A length running past the end is refused at the frame.
    bytes.truncate(bytes.len() - 1);
    let err = WireRequest::parse(Signal::Span, Bytes::from(bytes)).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("invalid protobuf ExportTraceServiceRequest: "),
        "{message}"
    );
    // Named with OTLP's own message and field names, not the wire reader's.
    assert!(
        message.contains("ExportTraceServiceRequest.resource_spans"),
        "{message}"
    );
    assert!(!message.contains("Raw"), "{message}");
}
