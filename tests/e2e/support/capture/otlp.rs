//! The OTLP side of the capture receiver: the three collector services, the records of
//! a request, and error statuses with `google.rpc.RetryInfo`.

use super::State;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::LogsService;
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest as LogsReq, ExportLogsServiceResponse as LogsResp,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsService;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest as MetricsReq, ExportMetricsServiceResponse as MetricsResp,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceService;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest as TraceReq, ExportTraceServiceResponse as TraceResp,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tonic::{Code, Request, Response, Status};

/// One record, identified by the `test.id` attribute `send.py` gives it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rec {
    /// `traces`, `logs` or `metrics`.
    pub signal: &'static str,
    /// The record's `test.id` (a metric data point's), empty when absent.
    pub id: String,
    /// The resource's `tenant.id`.
    pub tenant: Option<String>,
    /// The record's `test.marker`, which tests' plugins stamp to show which one ran.
    pub marker: Option<String>,
    /// The record's own attributes, each value rendered as text ([`render`]).
    pub attrs: BTreeMap<String, String>,
    /// A log record's body, rendered as text.
    pub body: Option<String>,
    /// A span's events: name and attributes (rendered).
    pub events: Vec<(String, BTreeMap<String, String>)>,
    /// A span's status: code and message.
    pub status: Option<(i32, String)>,
    /// A span's end minus start time, in nanoseconds.
    pub duration_ns: u64,
    /// Every string of the record, its scope and its resource as OTLP JSON has them (values,
    /// keys, names, bodies, event and link attributes, ids in hex): what a content check
    /// searches.
    pub strings: Vec<String>,
    /// A metric data point's metric and value (`None` for spans and logs).
    pub point: Option<Point>,
}

/// What a metric data point says besides its attributes (which are in [`Rec::attrs`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Point {
    /// The metric's name.
    pub metric: String,
    /// The metric's unit.
    pub unit: String,
    /// `sum`, `gauge`, `histogram`, `exponential_histogram` or `summary`.
    pub kind: &'static str,
    /// A Sum's `is_monotonic`.
    pub monotonic: bool,
    /// A Sum's or histogram's aggregation temporality (1 delta, 2 cumulative).
    pub temporality: i32,
    /// A number point's value as text: a double as Rust prints it, an int with an `i`
    /// suffix (`0.00625`, `1100i`); empty for other kinds.
    pub value: String,
    /// The point's start time.
    pub start_time_unix_nano: u64,
    /// The point's time.
    pub time_unix_nano: u64,
    /// The resource's attributes, rendered.
    pub resource: BTreeMap<String, String>,
    /// The scope's name.
    pub scope: String,
}

/// An attribute value as text: strings as they are, numbers and bools as Rust prints them,
/// bytes in hex, arrays as `[a, b]`, maps as `{k: v, ...}`.
pub fn render(v: &AnyValue) -> String {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::BytesValue(b)) => b.iter().map(|x| format!("{x:02x}")).collect(),
        Some(any_value::Value::ArrayValue(a)) => {
            let items: Vec<String> = a.values.iter().map(render).collect();
            format!("[{}]", items.join(", "))
        }
        Some(any_value::Value::KvlistValue(l)) => {
            let items: Vec<String> = l
                .values
                .iter()
                .map(|kv| {
                    format!(
                        "{}: {}",
                        kv.key,
                        kv.value.as_ref().map(render).unwrap_or_default()
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Some(any_value::Value::StringValueStrindex(i)) => format!("<string #{i}>"),
        None => String::new(),
    }
}

fn rendered(attrs: &[KeyValue]) -> BTreeMap<String, String> {
    attrs
        .iter()
        .map(|kv| {
            (
                kv.key.clone(),
                kv.value.as_ref().map(render).unwrap_or_default(),
            )
        })
        .collect()
}

/// Every JSON string (and object key) of `parts` serialised as OTLP JSON.
fn json_strings(parts: &[serde_json::Value]) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    out.push(k.clone());
                    walk(x, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    parts.iter().for_each(|p| walk(p, &mut out));
    out
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// `google.rpc.Status`, `google.protobuf.Any`, `google.rpc.RetryInfo` and
/// `google.protobuf.Duration`: no crate in the tree ships them.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<ProtoAny>,
}

#[derive(Clone, PartialEq, Message)]
struct ProtoAny {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

#[derive(Clone, PartialEq, Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// A gRPC error, with `RetryInfo` in its `google.rpc.Status` details if asked.
pub(super) fn failure(code: Code, retry_after: Option<Duration>) -> Status {
    let message = format!("capture receiver told to fail with {code:?}");
    let Some(delay) = retry_after else {
        return Status::new(code, message);
    };
    let info = RetryInfo {
        retry_delay: Some(ProtoDuration {
            seconds: delay.as_secs() as i64,
            nanos: delay.subsec_nanos() as i32,
        }),
    };
    let status = RpcStatus {
        code: code as i32,
        message: message.clone(),
        details: vec![ProtoAny {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
            value: info.encode_to_vec(),
        }],
    };
    Status::with_details(code, message, status.encode_to_vec().into())
}

fn string_attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match &kv.value.as_ref()?.value {
            Some(any_value::Value::StringValue(s)) => Some(s.clone()),
            _ => None,
        })
}

fn rec(signal: &'static str, resource: &[KeyValue], attrs: &[KeyValue]) -> Rec {
    Rec {
        signal,
        id: string_attr(attrs, "test.id").unwrap_or_default(),
        tenant: string_attr(resource, "tenant.id"),
        marker: string_attr(attrs, "test.marker"),
        attrs: rendered(attrs),
        body: None,
        events: Vec::new(),
        status: None,
        duration_ns: 0,
        strings: Vec::new(),
        point: None,
    }
}

fn number_points(
    points: &[opentelemetry_proto::tonic::metrics::v1::NumberDataPoint],
) -> Vec<(&[KeyValue], String, u64, u64)> {
    use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
    points
        .iter()
        .map(|p| {
            let value = match p.value {
                Some(Value::AsDouble(d)) => d.to_string(),
                Some(Value::AsInt(i)) => format!("{i}i"),
                None => String::new(),
            };
            (
                p.attributes.as_slice(),
                value,
                p.start_time_unix_nano,
                p.time_unix_nano,
            )
        })
        .collect()
}

fn resource_attrs(r: &Option<Resource>) -> &[KeyValue] {
    r.as_ref()
        .map(|r| r.attributes.as_slice())
        .unwrap_or_default()
}

fn trace_records(req: &TraceReq) -> Vec<Rec> {
    let mut out = Vec::new();
    for rs in &req.resource_spans {
        let res = resource_attrs(&rs.resource);
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                let mut r = rec("traces", res, &span.attributes);
                r.events = span
                    .events
                    .iter()
                    .map(|e| (e.name.clone(), rendered(&e.attributes)))
                    .collect();
                r.status = span.status.as_ref().map(|s| (s.code, s.message.clone()));
                r.duration_ns = span
                    .end_time_unix_nano
                    .saturating_sub(span.start_time_unix_nano);
                r.strings =
                    json_strings(&[to_json(&rs.resource), to_json(&ss.scope), to_json(span)]);
                out.push(r);
            }
        }
    }
    out
}

fn log_records(req: &LogsReq) -> Vec<Rec> {
    let mut out = Vec::new();
    for rl in &req.resource_logs {
        let res = resource_attrs(&rl.resource);
        for sl in &rl.scope_logs {
            for log in &sl.log_records {
                let mut r = rec("logs", res, &log.attributes);
                r.body = log.body.as_ref().map(render);
                r.strings =
                    json_strings(&[to_json(&rl.resource), to_json(&sl.scope), to_json(log)]);
                out.push(r);
            }
        }
    }
    out
}

/// One record per data point (the unit sluice counts for metrics).
fn metric_records(req: &MetricsReq) -> Vec<Rec> {
    let mut out = Vec::new();
    for rm in &req.resource_metrics {
        let res = resource_attrs(&rm.resource);
        for (sm, metric) in rm
            .scope_metrics
            .iter()
            .flat_map(|s| s.metrics.iter().map(move |m| (s, m)))
        {
            let resource = rendered(res);
            let scope = sm
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            let point =
                |kind: &'static str, monotonic, temporality, value: String, times: (u64, u64)| {
                    Point {
                        metric: metric.name.clone(),
                        unit: metric.unit.clone(),
                        kind,
                        monotonic,
                        temporality,
                        value,
                        start_time_unix_nano: times.0,
                        time_unix_nano: times.1,
                        resource: resource.clone(),
                        scope: scope.clone(),
                    }
                };
            let described: Vec<Point> = match &metric.data {
                Some(Data::Sum(s)) => number_points(&s.data_points)
                    .into_iter()
                    .map(|(_, v, st, t)| {
                        point("sum", s.is_monotonic, s.aggregation_temporality, v, (st, t))
                    })
                    .collect(),
                Some(Data::Gauge(g)) => number_points(&g.data_points)
                    .into_iter()
                    .map(|(_, v, st, t)| point("gauge", false, 0, v, (st, t)))
                    .collect(),
                Some(Data::Histogram(h)) => h
                    .data_points
                    .iter()
                    .map(|p| {
                        point(
                            "histogram",
                            false,
                            h.aggregation_temporality,
                            String::new(),
                            (p.start_time_unix_nano, p.time_unix_nano),
                        )
                    })
                    .collect(),
                Some(Data::ExponentialHistogram(h)) => h
                    .data_points
                    .iter()
                    .map(|p| {
                        point(
                            "exponential_histogram",
                            false,
                            h.aggregation_temporality,
                            String::new(),
                            (p.start_time_unix_nano, p.time_unix_nano),
                        )
                    })
                    .collect(),
                Some(Data::Summary(s)) => s
                    .data_points
                    .iter()
                    .map(|p| {
                        point(
                            "summary",
                            false,
                            0,
                            String::new(),
                            (p.start_time_unix_nano, p.time_unix_nano),
                        )
                    })
                    .collect(),
                None => Vec::new(),
            };
            let points: Vec<&[KeyValue]> = match &metric.data {
                Some(Data::Sum(s)) => s
                    .data_points
                    .iter()
                    .map(|p| p.attributes.as_slice())
                    .collect(),
                Some(Data::Gauge(g)) => g
                    .data_points
                    .iter()
                    .map(|p| p.attributes.as_slice())
                    .collect(),
                Some(Data::Histogram(h)) => h
                    .data_points
                    .iter()
                    .map(|p| p.attributes.as_slice())
                    .collect(),
                Some(Data::ExponentialHistogram(h)) => h
                    .data_points
                    .iter()
                    .map(|p| p.attributes.as_slice())
                    .collect(),
                Some(Data::Summary(s)) => s
                    .data_points
                    .iter()
                    .map(|p| p.attributes.as_slice())
                    .collect(),
                None => Vec::new(),
            };
            out.extend(points.into_iter().zip(described).map(|(attrs, point)| {
                let mut r = rec("metrics", res, attrs);
                r.point = Some(point);
                r.strings = json_strings(&[
                    to_json(&rm.resource),
                    to_json(&sm.scope),
                    serde_json::Value::String(metric.name.clone()),
                    to_json(&attrs.to_vec()),
                ]);
                r
            }));
        }
    }
    out
}

#[derive(Clone)]
pub(super) struct Svc(pub(super) Arc<State>);

#[tonic::async_trait]
impl TraceService for Svc {
    async fn export(&self, request: Request<TraceReq>) -> Result<Response<TraceResp>, Status> {
        self.0
            .handle(request.metadata(), trace_records(request.get_ref()))
            .await?;
        Ok(Response::new(TraceResp::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Svc {
    async fn export(&self, request: Request<LogsReq>) -> Result<Response<LogsResp>, Status> {
        self.0
            .handle(request.metadata(), log_records(request.get_ref()))
            .await?;
        Ok(Response::new(LogsResp::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Svc {
    async fn export(&self, request: Request<MetricsReq>) -> Result<Response<MetricsResp>, Status> {
        self.0
            .handle(request.metadata(), metric_records(request.get_ref()))
            .await?;
        Ok(Response::new(MetricsResp::default()))
    }
}
