//! Error replies both receivers share: the `google.rpc.Status` body with a
//! `google.rpc.RetryInfo` detail (the OTLP spec's throttling signal), and how each
//! [`IngestError`] maps to a gRPC code and an HTTP status.

use crate::ingest::IngestError;
use std::time::Duration;

/// `google.rpc.Status`, the error body of OTLP/HTTP and the `grpc-status-details-bin` of
/// OTLP/gRPC. Defined here because no crate in the tree ships the `google.rpc` types.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    /// A `google.rpc.Code` (the gRPC status code).
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// A developer-facing message.
    #[prost(string, tag = "2")]
    pub message: String,
    /// Typed details, e.g. [`RetryInfo`].
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<wkt::Any>,
}

/// `google.rpc.RetryInfo`: when the client should retry.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RetryInfo {
    /// The delay before retrying.
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<wkt::Duration>,
}

/// `google.protobuf.Any` and `google.protobuf.Duration`, for the same reason.
pub mod wkt {
    /// `google.protobuf.Any`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Any {
        /// `type.googleapis.com/<full message name>`.
        #[prost(string, tag = "1")]
        pub type_url: String,
        /// The encoded message.
        #[prost(bytes = "vec", tag = "2")]
        pub value: Vec<u8>,
    }

    /// `google.protobuf.Duration`.
    #[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
    pub struct Duration {
        /// Whole seconds.
        #[prost(int64, tag = "1")]
        pub seconds: i64,
        /// The fraction, in nanoseconds.
        #[prost(int32, tag = "2")]
        pub nanos: i32,
    }
}

/// The `type_url` of a packed [`RetryInfo`].
pub const RETRY_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.RetryInfo";

impl RpcStatus {
    /// A status without details.
    pub fn new(code: tonic::Code, message: impl Into<String>) -> RpcStatus {
        RpcStatus {
            code: code as i32,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Adds a [`RetryInfo`] detail asking the client to wait `delay`.
    pub fn with_retry_after(mut self, delay: Duration) -> RpcStatus {
        let info = RetryInfo {
            retry_delay: Some(wkt::Duration {
                seconds: i64::try_from(delay.as_secs()).unwrap_or(i64::MAX),
                // Always < 1e9, so it fits.
                nanos: delay.subsec_nanos() as i32,
            }),
        };
        self.details.push(wkt::Any {
            type_url: RETRY_INFO_TYPE_URL.into(),
            value: prost::Message::encode_to_vec(&info),
        });
        self
    }

    /// The retry delay of the first [`RetryInfo`] detail, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        let any = self
            .details
            .iter()
            .find(|d| d.type_url == RETRY_INFO_TYPE_URL)?;
        let info: RetryInfo = prost::Message::decode(&any.value[..]).ok()?;
        let d = info.retry_delay?;
        Some(Duration::new(
            u64::try_from(d.seconds).ok()?,
            u32::try_from(d.nanos).ok()?,
        ))
    }

    /// The proto3 JSON form (`{"code":14,"message":"…","details":[{"@type":…,"retryDelay":"1.5s"}]}`),
    /// for OTLP/HTTP JSON clients. Built by hand: the prost types above carry no serde.
    pub fn to_json(&self) -> serde_json::Value {
        let details: Vec<serde_json::Value> = self
            .details
            .iter()
            .filter_map(|d| {
                // Only RetryInfo is ever attached; anything else has no JSON mapping here.
                let info: RetryInfo = prost::Message::decode(&d.value[..]).ok()?;
                let delay = info.retry_delay.unwrap_or_default();
                Some(serde_json::json!({
                    "@type": d.type_url,
                    "retryDelay": json_duration(delay),
                }))
            })
            .collect();
        let mut out = serde_json::json!({ "code": self.code, "message": self.message });
        if !details.is_empty() {
            out["details"] = serde_json::Value::Array(details);
        }
        out
    }
}

/// A `google.protobuf.Duration` in proto3 JSON: seconds with up to 9 fraction digits and `s`.
fn json_duration(d: wkt::Duration) -> String {
    if d.nanos == 0 {
        format!("{}s", d.seconds)
    } else {
        let frac = format!("{:09}", d.nanos);
        format!("{}.{}s", d.seconds, frac.trim_end_matches('0'))
    }
}

/// The gRPC code an ingest failure is reported with.
pub fn grpc_code(err: &IngestError) -> tonic::Code {
    match err {
        IngestError::Unauthenticated(_) => tonic::Code::Unauthenticated,
        IngestError::Unavailable { .. } => tonic::Code::Unavailable,
        IngestError::Invalid(_) => tonic::Code::InvalidArgument,
    }
}

/// The HTTP status an ingest failure is reported with. Full queues are 503 rather than
/// 429: both are retryable for OTLP/HTTP clients, and 503 says it is the server's state.
pub fn http_status(err: &IngestError) -> http::StatusCode {
    match err {
        IngestError::Unauthenticated(_) => http::StatusCode::UNAUTHORIZED,
        IngestError::Unavailable { .. } => http::StatusCode::SERVICE_UNAVAILABLE,
        IngestError::Invalid(_) => http::StatusCode::BAD_REQUEST,
    }
}

/// The `google.rpc.Status` an ingest failure is reported with: its message, and for
/// `Unavailable` the retry delay.
pub fn rpc_status(err: &IngestError) -> RpcStatus {
    let status = RpcStatus::new(grpc_code(err), err.to_string());
    match err {
        IngestError::Unavailable { retry_after, .. } => status.with_retry_after(*retry_after),
        _ => status,
    }
}

/// The `Retry-After` header value: whole seconds, rounded up, at least 1 so that clients
/// honouring it literally do not retry in a tight loop.
pub fn retry_after_secs(delay: Duration) -> u64 {
    let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    secs.max(1)
}

/// The gRPC status an ingest failure is reported with, `RetryInfo` included.
pub fn grpc_status(err: &IngestError) -> tonic::Status {
    let rpc = rpc_status(err);
    let details = prost::Message::encode_to_vec(&rpc);
    tonic::Status::with_details(grpc_code(err), rpc.message, details.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable(ms: u64) -> IngestError {
        IngestError::Unavailable {
            retry_after: Duration::from_millis(ms),
            reason: "queue full".into(),
        }
    }

    #[test]
    fn maps_each_ingest_error() {
        let unauth = IngestError::Unauthenticated("no key".into());
        let invalid = IngestError::Invalid("empty".into());
        assert_eq!(grpc_code(&unauth), tonic::Code::Unauthenticated);
        assert_eq!(grpc_code(&unavailable(1)), tonic::Code::Unavailable);
        assert_eq!(grpc_code(&invalid), tonic::Code::InvalidArgument);
        assert_eq!(http_status(&unauth), 401);
        assert_eq!(http_status(&unavailable(1)), 503);
        assert_eq!(http_status(&invalid), 400);
        assert!(rpc_status(&invalid).details.is_empty());
    }

    #[test]
    fn grpc_unavailable_carries_retry_info() {
        let status = grpc_status(&unavailable(2500));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert_eq!(status.message(), "unavailable: queue full");
        let rpc: RpcStatus = prost::Message::decode(status.details()).unwrap();
        assert_eq!(rpc.code, tonic::Code::Unavailable as i32);
        assert_eq!(
            rpc.details[0].type_url,
            "type.googleapis.com/google.rpc.RetryInfo"
        );
        assert_eq!(rpc.retry_after(), Some(Duration::from_millis(2500)));
        // The wire bytes of RetryInfo{retry_delay: Duration{seconds: 2, nanos: 5e8}}:
        // field 1 (len 8) { field 1 varint 2, field 2 varint 500000000 }.
        assert_eq!(
            rpc.details[0].value,
            [0x0a, 0x08, 0x08, 0x02, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01]
        );
    }

    #[test]
    fn json_form_follows_proto3_json() {
        let json = rpc_status(&unavailable(1500)).to_json();
        assert_eq!(
            json,
            serde_json::json!({
                "code": 14,
                "message": "unavailable: queue full",
                "details": [{"@type": RETRY_INFO_TYPE_URL, "retryDelay": "1.5s"}],
            })
        );
        let plain = RpcStatus::new(tonic::Code::InvalidArgument, "bad").to_json();
        assert_eq!(plain, serde_json::json!({"code": 3, "message": "bad"}));
        assert_eq!(
            json_duration(wkt::Duration {
                seconds: 3,
                nanos: 0
            }),
            "3s"
        );
        assert_eq!(
            json_duration(wkt::Duration {
                seconds: 0,
                nanos: 1
            }),
            "0.000000001s"
        );
    }

    #[test]
    fn retry_after_header_rounds_up() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(5)), 5);
    }
}
