//! OTLP attribute helpers and the resource every generated request carries.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use rand::Rng;
use rand::rngs::StdRng;

/// The resource attribute that carries the send time of a request (nanoseconds since the
/// Unix epoch, 20 ASCII digits), so the capture receiver can measure delivery latency.
pub const STAMP_KEY: &str = "loadgen.sent_unix_nano";

/// What the stamp holds in the pre-encoded request until it is sent: 20 bytes that the
/// sender overwrites with the send time.
pub const STAMP_PLACEHOLDER: &[u8; 20] = b"@@@@@@@@@@@@@@@@@@@@";

fn any(v: Value) -> Option<AnyValue> {
    Some(AnyValue { value: Some(v) })
}

/// A string attribute.
pub fn s(key: &str, v: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: any(Value::StringValue(v.into())),
        ..Default::default()
    }
}

/// An integer attribute.
pub fn i(key: &str, v: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: any(Value::IntValue(v)),
        ..Default::default()
    }
}

/// A floating-point attribute.
pub fn f(key: &str, v: f64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: any(Value::DoubleValue(v)),
        ..Default::default()
    }
}

/// A string-array attribute.
pub fn arr(key: &str, v: &[&str]) -> KeyValue {
    let values = v.iter().map(|x| AnyValue {
        value: Some(Value::StringValue((*x).into())),
    });
    let array = ArrayValue {
        values: values.collect(),
    };
    KeyValue {
        key: key.into(),
        value: any(Value::ArrayValue(array)),
        ..Default::default()
    }
}

const SERVICES: &[&str] = &[
    "assistant-api",
    "rag-gateway",
    "support-bot",
    "code-review",
    "search-ui",
];
const REGIONS: &[&str] = &["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-1"];

/// The resource of one request: an instrumented LLM service of `tenant`, with the
/// `tenant.id` attribute and, when `stamp` is set, the send-time placeholder.
pub fn resource(rng: &mut StdRng, tenant: &str, stamp: bool) -> Resource {
    let service = SERVICES[rng.random_range(0..SERVICES.len())];
    let mut attributes = vec![
        s("service.name", service),
        s(
            "service.version",
            format!("1.{}.{}", rng.random_range(0..20), rng.random_range(0..10)),
        ),
        s(
            "service.instance.id",
            format!("{service}-{:08x}", rng.random::<u32>()),
        ),
        s("deployment.environment.name", "production"),
        s("cloud.region", REGIONS[rng.random_range(0..REGIONS.len())]),
        s(
            "host.name",
            format!(
                "ip-10-0-{}-{}",
                rng.random_range(0..255),
                rng.random_range(1..255)
            ),
        ),
        s("telemetry.sdk.name", "opentelemetry"),
        s("telemetry.sdk.language", "python"),
        s("telemetry.sdk.version", "1.38.0"),
        s("tenant.id", tenant),
    ];
    if stamp {
        let placeholder = String::from_utf8_lossy(STAMP_PLACEHOLDER).into_owned();
        attributes.push(s(STAMP_KEY, placeholder));
    }
    Resource {
        attributes,
        ..Default::default()
    }
}

/// The instrumentation scope of generated records.
pub fn scope(name: &str) -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: name.into(),
        version: "0.50b0".into(),
        ..Default::default()
    })
}

/// Random bytes for trace and span ids.
pub fn id<const N: usize>(rng: &mut StdRng) -> Vec<u8> {
    let mut b = [0u8; N];
    rng.fill(&mut b[..]);
    b.to_vec()
}
