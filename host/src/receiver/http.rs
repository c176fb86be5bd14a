//! The OTLP/HTTP receiver: `POST /v1/{traces,logs,metrics}`, protobuf or JSON, identity,
//! gzip or zstd bodies, answers in the request's encoding (OTLP/HTTP spec).

use super::codec::{Format, JSON, PROTOBUF, Signal};
use super::compress::{DecompressError, Encoding, decompress};
use super::conn::BodyTimeout;
use super::status::{RpcStatus, http_status, retry_after_secs, rpc_status};
use super::submit;
use crate::ingest::{Ingest, IngestError, RequestContext};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use http::{HeaderValue, Method, StatusCode, Version, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::sync::Arc;
use tonic::Code;

const RECEIVER: &str = "otlp_http";

struct Shared {
    ingest: Ingest,
    limit: usize,
}

/// The router: the three endpoints, everything else 404; served by [`super::conn`].
pub(super) fn router(ingest: Ingest, limit: usize) -> Router {
    let shared = Arc::new(Shared { ingest, limit });
    Router::new()
        .route(
            "/v1/traces",
            any(|s: State<Arc<Shared>>, r: Request| handle(s, r, Signal::Traces)),
        )
        .route(
            "/v1/logs",
            any(|s: State<Arc<Shared>>, r: Request| handle(s, r, Signal::Logs)),
        )
        .route(
            "/v1/metrics",
            any(|s: State<Arc<Shared>>, r: Request| handle(s, r, Signal::Metrics)),
        )
        .fallback(|r: Request| async move {
            let format = Format::from_content_type(r.headers().get(header::CONTENT_TYPE))
                .unwrap_or(Format::Json);
            status_reply(
                format,
                StatusCode::NOT_FOUND,
                RpcStatus::new(Code::NotFound, "no such endpoint"),
            )
        })
        .with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request, signal: Signal) -> Response {
    // Errors are answered in the request's encoding when it is known, JSON otherwise.
    let format = Format::from_content_type(request.headers().get(header::CONTENT_TYPE));
    let http1 = request.version() < Version::HTTP_2;
    match receive(&shared, request, signal, format).await {
        Ok(response) => response,
        Err((status, message)) => {
            tracing::debug!(receiver = RECEIVER, signal = signal.name(), reason = %message, "request refused");
            let code = match status {
                StatusCode::METHOD_NOT_ALLOWED => Code::Unimplemented,
                StatusCode::REQUEST_TIMEOUT => Code::DeadlineExceeded,
                _ => Code::InvalidArgument,
            };
            let mut reply = status_reply(
                format.unwrap_or(Format::Json),
                status,
                RpcStatus::new(code, message),
            );
            match status {
                StatusCode::METHOD_NOT_ALLOWED => {
                    reply
                        .headers_mut()
                        .insert(header::ALLOW, HeaderValue::from_static("POST"));
                }
                // The Content-Type is checked first, so with a known one it was the
                // Content-Encoding: RFC 9110 says to list the accepted codings.
                StatusCode::UNSUPPORTED_MEDIA_TYPE if format.is_some() => {
                    reply.headers_mut().insert(
                        header::ACCEPT_ENCODING,
                        HeaderValue::from_static("gzip, zstd"),
                    );
                }
                // The rest of a body that came too slowly is not worth waiting for: the
                // HTTP/1.1 connection is closed after the answer (HTTP/2 resets the stream).
                StatusCode::REQUEST_TIMEOUT if http1 => {
                    reply
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                _ => {}
            }
            reply
        }
    }
}

/// Everything up to the pipeline's answer; `Err` is a refusal of the request itself.
async fn receive(
    shared: &Shared,
    request: Request,
    signal: Signal,
    format: Option<Format>,
) -> Result<Response, (StatusCode, String)> {
    if request.method() != Method::POST {
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not allowed; use POST", request.method()),
        ));
    }
    let Some(format) = format else {
        let msg = format!("unsupported Content-Type; use {PROTOBUF} or {JSON}");
        return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, msg));
    };
    let encoding = request
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?"));
    let Some(encoding) = Encoding::parse(encoding) else {
        let msg = "unsupported Content-Encoding; use gzip, zstd or identity".to_string();
        return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, msg));
    };
    let limit = shared.limit;
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body exceeds {limit} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // Refuse early when the client says up front that the body is too large.
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return Err(too_large()),
        Err(e) if BodyTimeout::is_cause_of(&*e) => {
            return Err((StatusCode::REQUEST_TIMEOUT, e.to_string()));
        }
        Err(_) => {
            return Err((
                StatusCode::BAD_REQUEST,
                "request body could not be read".into(),
            ));
        }
    };
    let body = decompress(encoding, body, limit).map_err(|e| match e {
        DecompressError::TooLarge { .. } => too_large(),
        e @ DecompressError::Corrupt(_) => (StatusCode::BAD_REQUEST, e.to_string()),
    })?;
    let payload = signal
        .decode(format, body)
        .map_err(|m| (StatusCode::BAD_REQUEST, m))?;
    let ctx = RequestContext {
        headers: parts.headers,
    };
    Ok(match submit(&shared.ingest, ctx, payload).await {
        Ok(accepted) => reply(format, StatusCode::OK, signal.response(format, accepted)),
        Err(e) => ingest_failed(format, signal, &e),
    })
}

/// The reply to a request the pipeline refused.
fn ingest_failed(format: Format, signal: Signal, err: &IngestError) -> Response {
    let status = http_status(err);
    match err {
        IngestError::Unavailable { .. } => {
            tracing::warn!(receiver = RECEIVER, signal = signal.name(), reason = %err, "request refused")
        }
        _ => {
            tracing::debug!(receiver = RECEIVER, signal = signal.name(), reason = %err, "request refused")
        }
    }
    let mut response = status_reply(format, status, rpc_status(err));
    if let IngestError::Unavailable { retry_after, .. } = err {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after_secs(*retry_after)),
        );
    }
    response
}

fn status_reply(format: Format, status: StatusCode, rpc: RpcStatus) -> Response {
    let body = match format {
        Format::Protobuf => prost::Message::encode_to_vec(&rpc),
        Format::Json => rpc.to_json().to_string().into_bytes(),
    };
    reply(format, status, body)
}

fn reply(format: Format, status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}
