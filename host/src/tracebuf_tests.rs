use super::*;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::Span;

fn request(spans: &[(u8, &str)]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource::default()),
            scope_spans: vec![ScopeSpans {
                spans: spans
                    .iter()
                    .map(|(t, name)| Span {
                        trace_id: if *t == 0 { vec![] } else { vec![*t; 16] },
                        name: name.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn names(reqs: &[ExportTraceServiceRequest]) -> Vec<Vec<String>> {
    reqs.iter()
        .map(|r| {
            r.resource_spans
                .iter()
                .flat_map(|rs| &rs.scope_spans)
                .flat_map(|ss| &ss.spans)
                .map(|s| s.name.clone())
                .collect()
        })
        .collect()
}

fn buffer(max_spans: usize, max_batch_spans: usize) -> TraceBuffer {
    TraceBuffer::new(TraceBufferConfig {
        decision_wait_ms: 1_000,
        max_spans,
        max_bytes: usize::MAX,
        max_batch_spans,
    })
}

#[test]
fn a_trace_split_over_requests_is_released_whole_after_its_wait() {
    let b = buffer(100, 100);
    let t0 = Instant::now();
    assert!(
        b.add(request(&[(1, "a1"), (2, "b1")]), t0)
            .unwrap()
            .is_empty()
    );
    let later = t0 + Duration::from_millis(500);
    // No trace id: straight through.
    let now = b.add(request(&[(1, "a2"), (0, "loose")]), later).unwrap();
    assert_eq!(names(&now), [["loose"]]);
    assert!(b.due(t0 + Duration::from_millis(999), false).is_empty());
    let due = b.due(t0 + Duration::from_millis(1_000), false);
    assert_eq!(names(&due), [["a1", "a2", "b1"]]);
    let s = b.stats();
    assert_eq!((s.traces, s.spans, s.bytes, s.released_early), (0, 0, 0, 0));
}

#[test]
fn over_the_bound_the_oldest_traces_go_early_and_are_counted() {
    let b = buffer(3, 100);
    let t0 = Instant::now();
    b.add(request(&[(1, "a1"), (1, "a2")]), t0).unwrap();
    let early = b.add(request(&[(2, "b1"), (3, "c1")]), t0).unwrap();
    assert_eq!(names(&early), [["a1", "a2"]]);
    let s = b.stats();
    assert_eq!((s.traces, s.spans, s.released_early), (2, 2, 1));
    assert!(s.bytes > 0);
}

#[test]
fn releases_are_batched_and_backlog_refuses_new_spans() {
    let b = buffer(4, 2);
    let t0 = Instant::now();
    b.add(request(&[(1, "a"), (2, "b"), (3, "c")]), t0).unwrap();
    let due = b.due(t0, true);
    assert_eq!(names(&due), [vec!["a", "b"], vec!["c"]]);
    // Three spans released and not yet through the chain: two more would pass the bound.
    assert!(b.add(request(&[(4, "d"), (5, "e")]), t0).is_err());
    b.done(3);
    assert!(b.add(request(&[(4, "d"), (5, "e")]), t0).is_ok());
}

#[test]
fn the_byte_bound_releases_early_too() {
    let b = TraceBuffer::new(TraceBufferConfig {
        decision_wait_ms: 1_000,
        max_spans: 100,
        max_bytes: 60,
        max_batch_spans: 100,
    });
    let t0 = Instant::now();
    b.add(request(&[(1, "first-span-with-a-long-name")]), t0)
        .unwrap();
    let early = b
        .add(request(&[(2, "second-span-with-a-long-name")]), t0)
        .unwrap();
    assert_eq!(names(&early), [["first-span-with-a-long-name"]]);
    assert!(b.stats().bytes <= 60);
}
