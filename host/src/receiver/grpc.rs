//! The OTLP/gRPC receiver: the `opentelemetry.proto.collector.{trace,logs,metrics}.v1`
//! export services on tonic, gzip and zstd request compression, and `RetryInfo` on
//! `UNAVAILABLE` so exporters back off as long as asked.
//!
//! tonic's generated servers decode every request into prost structures before the handler
//! sees it. These services use tonic's server machinery (framing, compression, message size
//! limit, status replies) with a codec that hands the request over as bytes instead, so a
//! request no plugin wants is never decoded ([`Incoming::Protobuf`]).

use super::status::grpc_status;
use super::submit;
use crate::ingest::{Accepted, Incoming, Ingest, IngestError, RequestContext};
use bytes::{Buf, BufMut, Bytes};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use sluice_plugin_sdk::Signal;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::codec::{
    Codec, CompressionEncoding, DecodeBuf, Decoder, EnabledCompressionEncodings, EncodeBuf, Encoder,
};
use tonic::{Request, Response, Status};

const RECEIVER: &str = "otlp_grpc";

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The gRPC service name of each signal's export service.
fn service_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Span => "opentelemetry.proto.collector.trace.v1.TraceService",
        Signal::Log => "opentelemetry.proto.collector.logs.v1.LogsService",
        Signal::MetricPoint => "opentelemetry.proto.collector.metrics.v1.MetricsService",
    }
}

/// One signal's export service.
#[derive(Clone)]
struct ExportService {
    signal: Signal,
    ingest: Ingest,
    max_request_bytes: usize,
}

impl tower_service::Service<http::Request<axum::body::Body>> for ExportService {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let method = request.uri().path().strip_prefix('/');
            let method = method.and_then(|p| p.strip_prefix(service_name(this.signal)));
            if method != Some("/Export") {
                return Ok(Status::unimplemented("unknown method").into_http());
            }
            let mut accept = EnabledCompressionEncodings::default();
            accept.enable(CompressionEncoding::Gzip);
            accept.enable(CompressionEncoding::Zstd);
            // The size limit bounds the message after decompression too: tonic stops
            // inflating at the limit, so compressed requests cannot be zip bombs.
            let mut grpc = tonic::server::Grpc::new(BytesCodec)
                .apply_compression_config(accept, EnabledCompressionEncodings::default())
                .apply_max_message_size_config(Some(this.max_request_bytes), None);
            Ok(grpc.unary(Export(this), request).await)
        })
    }
}

/// The `Export` call of one service.
struct Export(ExportService);

impl tonic::server::UnaryService<Bytes> for Export {
    type Response = Bytes;
    type Future = BoxFuture<Result<Response<Bytes>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let ExportService { signal, ingest, .. } = self.0.clone();
        Box::pin(async move {
            let (metadata, _, bytes) = request.into_parts();
            let ctx = RequestContext {
                headers: metadata.into_headers(),
            };
            let accepted = submit(&ingest, ctx, Incoming::Protobuf { signal, bytes })
                .await
                .map_err(|e| failed(crate::otlp::signal_name(signal), &e))?;
            let body = match signal {
                Signal::Span => trace_response(accepted).encode_to_vec(),
                Signal::Log => logs_response(accepted).encode_to_vec(),
                Signal::MetricPoint => metrics_response(accepted).encode_to_vec(),
            };
            Ok(Response::new(Bytes::from(body)))
        })
    }
}

/// Messages as bytes both ways: requests are handed to the pipeline undecoded, responses
/// are encoded by the handler.
pub(super) struct BytesCodec;

impl Codec for BytesCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = BytesCodec;
    type Decoder = BytesCodec;

    fn encoder(&mut self) -> BytesCodec {
        BytesCodec
    }

    fn decoder(&mut self) -> BytesCodec {
        BytesCodec
    }
}

impl Encoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        // tonic's buffer is a `BytesMut`: this splits it, it does not copy.
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// Logs a refused request (never its content) and turns it into its gRPC status.
fn failed(signal: &'static str, err: &IngestError) -> Status {
    match err {
        IngestError::Unavailable { .. } => {
            tracing::warn!(receiver = RECEIVER, signal, reason = %err, "request refused")
        }
        _ => tracing::debug!(receiver = RECEIVER, signal, reason = %err, "request refused"),
    }
    grpc_status(err)
}

/// Whether the response must carry `partial_success`: some records were rejected, or there
/// is a message for the sender (the OTLP spec's "warnings" use of the field).
fn partial(accepted: &Accepted) -> bool {
    accepted.rejected > 0 || !accepted.message.is_empty()
}

/// The traces response for an accepted request (shared with OTLP/HTTP).
pub(super) fn trace_response(a: Accepted) -> ExportTraceServiceResponse {
    ExportTraceServiceResponse {
        partial_success: partial(&a).then_some(ExportTracePartialSuccess {
            rejected_spans: a.rejected,
            error_message: a.message,
        }),
    }
}

/// The logs response for an accepted request (shared with OTLP/HTTP).
pub(super) fn logs_response(a: Accepted) -> ExportLogsServiceResponse {
    ExportLogsServiceResponse {
        partial_success: partial(&a).then_some(ExportLogsPartialSuccess {
            rejected_log_records: a.rejected,
            error_message: a.message,
        }),
    }
}

/// The metrics response for an accepted request (shared with OTLP/HTTP).
pub(super) fn metrics_response(a: Accepted) -> ExportMetricsServiceResponse {
    ExportMetricsServiceResponse {
        partial_success: partial(&a).then_some(ExportMetricsPartialSuccess {
            rejected_data_points: a.rejected,
            error_message: a.message,
        }),
    }
}

/// The three services, routed by path; served over HTTP/2 by [`super::conn`].
pub(super) fn router(ingest: Ingest, max_request_bytes: usize) -> axum::Router {
    let mut router = axum::Router::new();
    for signal in [Signal::Span, Signal::Log, Signal::MetricPoint] {
        let service = ExportService {
            signal,
            ingest: ingest.clone(),
            max_request_bytes,
        };
        // Each service gets every path under its name, as tonic's own router does; unknown
        // methods are answered UNIMPLEMENTED by the service.
        router = router.route_service(&format!("/{}/{{*method}}", service_name(signal)), service);
    }
    router.fallback(|| async {
        Status::unimplemented("unknown service").into_http::<axum::body::Body>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_only_when_there_is_something_to_say() {
        assert_eq!(trace_response(Accepted::default()).partial_success, None);
        let rejected = Accepted {
            rejected: 3,
            message: "dropped by plugin".into(),
        };
        let p = trace_response(rejected.clone()).partial_success.unwrap();
        assert_eq!(
            (p.rejected_spans, p.error_message.as_str()),
            (3, "dropped by plugin")
        );
        let p = logs_response(rejected.clone()).partial_success.unwrap();
        assert_eq!(p.rejected_log_records, 3);
        let p = metrics_response(rejected).partial_success.unwrap();
        assert_eq!(p.rejected_data_points, 3);
        // A warning without rejections still sets the field (rejected stays 0).
        let warning = Accepted {
            rejected: 0,
            message: "held in quarantine".into(),
        };
        let p = metrics_response(warning).partial_success.unwrap();
        assert_eq!(
            (p.rejected_data_points, p.error_message.as_str()),
            (0, "held in quarantine")
        );
    }
}
