//! The OTLP/gRPC receiver: the `opentelemetry.proto.collector.{trace,logs,metrics}.v1`
//! export services on tonic, gzip and zstd request compression, and `RetryInfo` on
//! `UNAVAILABLE` so exporters back off as long as asked.

use super::status::grpc_status;
use super::submit;
use crate::ingest::{Accepted, Ingest, IngestError, RequestContext};
use crate::otlp::Payload;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

const RECEIVER: &str = "otlp_grpc";

/// The three export services over one [`Ingest`].
#[derive(Clone)]
struct Services {
    ingest: Ingest,
}

impl Services {
    /// Hands a request's payload to the pipeline, its metadata becoming the context's headers.
    async fn export<T>(
        &self,
        request: Request<T>,
        wrap: fn(T) -> Payload,
    ) -> Result<Accepted, Status> {
        let (metadata, _, message) = request.into_parts();
        let ctx = RequestContext {
            headers: metadata.into_headers(),
        };
        let payload = wrap(message);
        let signal = crate::otlp::signal_name(payload.signal());
        submit(&self.ingest, ctx, payload)
            .await
            .map_err(|e| failed(signal, &e))
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

#[tonic::async_trait]
impl TraceService for Services {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let a = Services::export(self, request, Payload::Traces).await?;
        Ok(Response::new(trace_response(a)))
    }
}

#[tonic::async_trait]
impl LogsService for Services {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let a = Services::export(self, request, Payload::Logs).await?;
        Ok(Response::new(logs_response(a)))
    }
}

#[tonic::async_trait]
impl MetricsService for Services {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let a = Services::export(self, request, Payload::Metrics).await?;
        Ok(Response::new(metrics_response(a)))
    }
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
    let services = Services { ingest };
    // `max_decoding_message_size` bounds the message after decompression too: tonic stops
    // inflating at the limit, so compressed requests cannot be zip bombs.
    let traces = TraceServiceServer::new(services.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(max_request_bytes);
    let logs = LogsServiceServer::new(services.clone())
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(max_request_bytes);
    let metrics = MetricsServiceServer::new(services)
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd)
        .max_decoding_message_size(max_request_bytes);
    // Routed by axum, as tonic's own router does: each service gets every path under its
    // name; tonic answers UNIMPLEMENTED for unknown methods.
    axum::Router::new()
        .route_service(&service_path::<TraceServiceServer<Services>>(), traces)
        .route_service(&service_path::<LogsServiceServer<Services>>(), logs)
        .route_service(&service_path::<MetricsServiceServer<Services>>(), metrics)
        .fallback(|| async {
            Status::unimplemented("unknown service").into_http::<axum::body::Body>()
        })
}

/// `/<package>.<Service>/{*method}`: the gRPC paths of one service.
fn service_path<S: NamedService>() -> String {
    format!("/{}/{{*method}}", S::NAME)
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
