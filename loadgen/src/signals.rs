//! Logs and metrics of an LLM application: application logs and GenAI inference events
//! (some with content, some leaking a fake secret), and the GenAI client histograms
//! `gen_ai.client.token.usage` and `gen_ai.client.operation.duration`.

use crate::attrs::{i, id, s};
use crate::content::{MODELS, fake_secret, log_uniform, prose_of};
use crate::pool::Shape;
use opentelemetry_proto::tonic::common::v1::AnyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Histogram, HistogramDataPoint, Metric,
};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

const TOKEN_BOUNDS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];
const SECONDS_BOUNDS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

fn body(text: String) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Value::StringValue(text)),
    })
}

/// `n` log records: application logs, GenAI inference events, provider warnings.
pub fn logs(rng: &mut StdRng, shape: &Shape, now_ns: u64, n: usize) -> Vec<LogRecord> {
    (0..n)
        .map(|_| {
            let at = now_ns - rng.random_range(0..5_000_000_000);
            let (provider, model, _, _) = MODELS[rng.random_range(0..MODELS.len())];
            let secret = rng.random_bool(shape.secret_share);
            let mut rec = LogRecord {
                time_unix_nano: at,
                observed_time_unix_nano: at + 1_000_000,
                severity_number: 9,
                severity_text: "INFO".into(),
                trace_id: id::<16>(rng),
                span_id: id::<8>(rng),
                flags: 1,
                ..Default::default()
            };
            match rng.random_range(0..10) {
                0..5 => {
                    let docs = rng.random_range(1..20);
                    let mut text = format!(
                        "retrieved {docs} documents for the question in {}ms",
                        rng.random_range(5..90)
                    );
                    if secret {
                        text = format!(
                            "{text}; request headers: authorization={}",
                            fake_secret(rng)
                        );
                    }
                    rec.body = body(text);
                    rec.attributes = vec![
                        s("code.function.name", "retrieve"),
                        i("retrieval.documents", docs),
                    ];
                }
                5..8 => {
                    let len = log_uniform(rng, shape.content_min / 2, shape.content_max / 2);
                    let mut prompt = prose_of(rng, len);
                    if secret {
                        prompt.push_str(&fake_secret(rng));
                    }
                    let input =
                        json!([{"role": "user", "parts": [{"type": "text", "content": prompt}]}]);
                    rec.event_name = "gen_ai.client.inference.operation.details".into();
                    rec.attributes = vec![
                        s("gen_ai.operation.name", "chat"),
                        s("gen_ai.provider.name", provider),
                        s("gen_ai.request.model", model),
                        i("gen_ai.usage.input_tokens", (len / 4) as i64),
                        i("gen_ai.usage.output_tokens", rng.random_range(10..900)),
                        s("gen_ai.input.messages", input.to_string()),
                    ];
                }
                _ => {
                    rec.severity_number = 13;
                    rec.severity_text = "WARN".into();
                    let mut text = format!(
                        "{provider} answered 429 for {model}; retrying in {}s",
                        rng.random_range(1..8)
                    );
                    if secret {
                        text = format!("{text} with {}", fake_secret(rng));
                    }
                    rec.body = body(text);
                    rec.attributes = vec![
                        s("error.type", "rate_limited"),
                        s("server.address", "api.example.com"),
                    ];
                }
            }
            rec
        })
        .collect()
}

fn histogram(
    rng: &mut StdRng,
    now_ns: u64,
    bounds: &[f64],
    attributes: Vec<opentelemetry_proto::tonic::common::v1::KeyValue>,
    scale: f64,
) -> HistogramDataPoint {
    let mut bucket_counts = vec![0u64; bounds.len() + 1];
    let count = rng.random_range(1..200u64);
    let mut sum = 0.0;
    let (mut min, mut max) = (f64::MAX, 0.0f64);
    for _ in 0..count.min(32) {
        let v = scale * rng.random::<f64>().powi(3) * 100.0;
        sum += v;
        min = min.min(v);
        max = max.max(v);
        bucket_counts[bounds.partition_point(|&b| b < v)] += 1;
    }
    HistogramDataPoint {
        attributes,
        start_time_unix_nano: now_ns - 60_000_000_000,
        time_unix_nano: now_ns,
        count: count.min(32),
        sum: Some(sum),
        bucket_counts,
        explicit_bounds: bounds.to_vec(),
        min: Some(min),
        max: Some(max),
        ..Default::default()
    }
}

/// Metrics holding `n` data points in all: token usage by model and token type, and
/// operation duration by model.
pub fn metrics(rng: &mut StdRng, now_ns: u64, n: usize) -> Vec<Metric> {
    let (mut tokens, mut durations) = (Vec::new(), Vec::new());
    for k in 0..n {
        let (provider, model, response_model, _) = MODELS[rng.random_range(0..MODELS.len())];
        let mut attrs = vec![
            s("gen_ai.operation.name", "chat"),
            s("gen_ai.provider.name", provider),
            s("gen_ai.request.model", model),
            s("gen_ai.response.model", response_model),
        ];
        if k % 2 == 0 {
            attrs.push(s(
                "gen_ai.token.type",
                if k % 4 == 0 { "input" } else { "output" },
            ));
            tokens.push(histogram(rng, now_ns, TOKEN_BOUNDS, attrs, 300.0));
        } else {
            durations.push(histogram(rng, now_ns, SECONDS_BOUNDS, attrs, 0.2));
        }
    }
    let metric = |name: &str, unit: &str, description: &str, data_points| Metric {
        name: name.into(),
        unit: unit.into(),
        description: description.into(),
        data: Some(Data::Histogram(Histogram {
            data_points,
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
        })),
        ..Default::default()
    };
    let mut out = vec![metric(
        "gen_ai.client.token.usage",
        "{token}",
        "Number of input and output tokens used.",
        tokens,
    )];
    if !durations.is_empty() {
        out.push(metric(
            "gen_ai.client.operation.duration",
            "s",
            "GenAI operation duration.",
            durations,
        ));
    }
    out
}
