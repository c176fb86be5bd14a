//! The `otlp_http` destination: `POST {endpoint}/v1/{traces,logs,metrics}` with a protobuf or
//! OTLP JSON body, through one pooled hyper client (HTTP/1.1, or HTTP/2 over TLS by ALPN),
//! classified as OTLP prescribes.

use super::otlp_common::{
    RpcStatus, Template, TenantIn, config_error, endpoint_template, error_chain, read_ca,
    read_client_identity, report_partial_success, rustls_client_config, server_message,
    signal_path,
};
use super::{ExportBatch, ExportError, Exporter, FailureKind};
use crate::config::{Compression, DestinationConfig, Encoding};
use crate::otlp::json;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::{HeaderName, HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The most of a response body read (partial success, or the server's error message).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Bodies at least this large are compressed on the blocking pool.
const BLOCKING_COMPRESSION_BYTES: usize = 256 << 10;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// An OTLP/HTTP exporter.
pub struct OtlpHttpExporter {
    name: String,
    endpoint: Template,
    /// Whether the endpoint is `https` (a tenant cannot change it).
    https: bool,
    headers: Vec<(HeaderName, Template)>,
    compression: Compression,
    encoding: Encoding,
    timeout: Duration,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for OtlpHttpExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values may be credentials: names only.
        f.debug_struct("OtlpHttpExporter")
            .field("name", &self.name)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("compression", &self.compression)
            .field("encoding", &self.encoding)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl OtlpHttpExporter {
    /// Checks the destination's endpoint, headers and CA, and builds the (unconnected) client.
    pub fn new(config: &DestinationConfig) -> Result<Self, String> {
        let endpoint = endpoint_template(config)?;
        let sample: Uri = endpoint
            .sample()
            .parse()
            .map_err(|e| config_error(config, "endpoint", format_args!("not a URL: {e}")))?;
        let https = match sample.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => {
                return Err(config_error(
                    config,
                    "endpoint",
                    "must start with http:// or https://",
                ));
            }
        };
        if sample.host().is_none() {
            return Err(config_error(config, "endpoint", "has no host"));
        }
        if sample.query().is_some() {
            return Err(config_error(
                config,
                "endpoint",
                "a query string is not supported",
            ));
        }

        let mut headers = Vec::with_capacity(config.headers.len());
        for (name, value) in &config.headers {
            let field = format!("headers.{name}");
            let key = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| config_error(config, &field, "not a valid header name"))?;
            if [
                CONTENT_TYPE,
                CONTENT_ENCODING,
                http::header::CONTENT_LENGTH,
                http::header::HOST,
            ]
            .contains(&key)
            {
                return Err(config_error(config, &field, "set by sluice itself"));
            }
            let value = Template::new(value.clone());
            HeaderValue::try_from(value.sample().as_ref())
                .map_err(|_| config_error(config, &field, "not a valid header value"))?;
            headers.push((key, value));
        }

        let ca = read_ca(config)?;
        let identity = read_client_identity(config)?;
        if identity.is_some() && !https {
            return Err(config_error(
                config,
                "client_cert",
                "a client certificate needs an https:// endpoint",
            ));
        }
        let timeout = Duration::from_millis(config.timeout_ms.max(1));
        // Plain-http destinations never use TLS, so they need no roots at all.
        let tls = if https {
            rustls_client_config(config, ca.as_deref(), identity.as_ref())?
        } else {
            tokio_rustls::rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                tokio_rustls::rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error(config, "endpoint", format_args!("TLS: {e}")))?
            .with_root_certificates(tokio_rustls::rustls::RootCertStore::empty())
            .with_no_client_auth()
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);

        Ok(OtlpHttpExporter {
            name: config.name.clone(),
            endpoint,
            https,
            headers,
            compression: config.compression,
            encoding: config.encoding,
            timeout,
            client,
        })
    }

    /// `{endpoint}/v1/{signal}`, or the endpoint itself when it already ends that way.
    fn url(&self, tenant: Option<&str>, signal: &str) -> Result<Uri, ExportError> {
        let base = self.endpoint.render(tenant, TenantIn::Url, "endpoint")?;
        let path = format!("/v1/{signal}");
        let url = if base.trim_end_matches('/').ends_with(&path) {
            base.into_owned()
        } else {
            format!("{}{path}", base.trim_end_matches('/'))
        };
        let uri: Uri = url
            .parse()
            .map_err(|e| ExportError::permanent(format!("endpoint is not a URL: {e}")))?;
        if uri.scheme_str() != Some(if self.https { "https" } else { "http" }) {
            return Err(ExportError::permanent(
                "endpoint: the tenant changed the scheme",
            ));
        }
        Ok(uri)
    }

    fn request(
        &self,
        uri: Uri,
        tenant: Option<&str>,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, ExportError> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        let content_type = match self.encoding {
            Encoding::Protobuf => PROTOBUF,
            Encoding::Json => JSON,
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        let user_agent = concat!("sluice/", env!("CARGO_PKG_VERSION"));
        headers.insert(USER_AGENT, HeaderValue::from_static(user_agent));
        let content_encoding = match self.compression {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
        };
        if let Some(content_encoding) = content_encoding {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(content_encoding));
        }
        // Configured headers replace sluice's own (e.g. `User-Agent`).
        for (name, template) in &self.headers {
            let value = template.render(tenant, TenantIn::Header, &format!("headers.{name}"))?;
            let value = HeaderValue::try_from(value.as_ref()).map_err(|_| {
                ExportError::permanent(format!("headers.{name}: not a valid header value"))
            })?;
            headers.insert(name.clone(), value);
        }
        Ok(request)
    }

    async fn send(
        &self,
        request: Request<Full<Bytes>>,
        payload_kind: &'static str,
    ) -> Result<(), ExportError> {
        let response = self.client.request(request).await.map_err(|e| {
            ExportError::retryable(format!(
                "HTTP request failed: {}",
                server_message(&error_chain(&e))
            ))
        })?;
        let (parts, body) = response.into_parts();
        // A body we cannot read is only a lost message or partial-success notice.
        let body = Limited::new(body, MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let status = parts.status;
        if status.is_success() {
            let json = if content_type.is_empty() {
                self.encoding == Encoding::Json
            } else {
                content_type.contains("json")
            };
            if let Some((rejected, message)) = partial_success(&body, json, payload_kind) {
                report_partial_success(&self.name, payload_kind, rejected, &message);
            }
            return Ok(());
        }
        let mut message = format!("HTTP {status}");
        let server = server_message(&error_message(&body, content_type));
        if !server.is_empty() {
            message.push_str(": ");
            message.push_str(&server);
        }
        let retryable = matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS
                | StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT
        );
        let retry_after = match retryable {
            true => parts
                .headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
            false => None,
        };
        Err(ExportError {
            kind: if retryable {
                FailureKind::Retryable
            } else {
                FailureKind::Permanent
            },
            retry_after,
            message,
        })
    }
}

#[async_trait::async_trait]
impl Exporter for OtlpHttpExporter {
    fn sends_protobuf(&self) -> bool {
        self.encoding == Encoding::Protobuf
    }

    async fn export(&self, batch: &ExportBatch) -> Result<(), ExportError> {
        let tenant = batch.tenant.as_deref();
        let signal = signal_path(batch.payload.signal());
        let uri = self.url(tenant, signal)?;
        let raw = match self.encoding {
            Encoding::Protobuf => batch.payload.protobuf(),
            Encoding::Json => {
                let payload = batch.payload.decoded().map_err(|e| {
                    ExportError::permanent(format!("queued records do not decode: {e}"))
                })?;
                Bytes::from(json::encode_line(&payload).into_bytes())
            }
        };
        let compression = self.compression;
        let body = if compression == Compression::None {
            raw
        } else if raw.len() < BLOCKING_COMPRESSION_BYTES {
            compress(raw, compression)?
        } else {
            // Compressing megabytes takes milliseconds: off the async workers.
            tokio::task::spawn_blocking(move || compress(raw, compression))
                .await
                .map_err(|e| {
                    ExportError::permanent(format!("compressing the request failed: {e}"))
                })??
        };
        let request = self.request(uri, tenant, body)?;
        match tokio::time::timeout(self.timeout, self.send(request, signal)).await {
            Ok(result) => result,
            Err(_) => Err(ExportError::retryable(format!(
                "HTTP export timed out after {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}

/// The encoded body, compressed.
fn compress(raw: Bytes, compression: Compression) -> Result<Bytes, ExportError> {
    let compressed = match compression {
        Compression::None => return Ok(raw),
        Compression::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(raw.len() / 4),
                flate2::Compression::fast(),
            );
            encoder.write_all(&raw).and_then(|()| encoder.finish())
        }
        Compression::Zstd => zstd::bulk::compress(&raw, zstd::DEFAULT_COMPRESSION_LEVEL),
    };
    compressed
        .map(Bytes::from)
        .map_err(|e| ExportError::permanent(format!("compressing the request failed: {e}")))
}

/// `(rejected, message)` from a success response's body, if it has a partial success.
fn partial_success(body: &[u8], json: bool, signal: &str) -> Option<(i64, String)> {
    use opentelemetry_proto::tonic::collector::{logs, metrics, trace};
    use prost::Message;
    if body.is_empty() {
        return None;
    }
    if json {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let partial = value
            .get("partialSuccess")
            .or_else(|| value.get("partial_success"))?;
        let (camel, snake) = match signal {
            "traces" => ("rejectedSpans", "rejected_spans"),
            "logs" => ("rejectedLogRecords", "rejected_log_records"),
            _ => ("rejectedDataPoints", "rejected_data_points"),
        };
        // proto3 JSON writes int64 as a string, but numbers are accepted too.
        let rejected = match partial.get(camel).or_else(|| partial.get(snake)) {
            Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(0),
            Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        let message = partial
            .get("errorMessage")
            .or_else(|| partial.get("error_message"))
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        return Some((rejected, message.to_owned()));
    }
    match signal {
        "traces" => trace::v1::ExportTraceServiceResponse::decode(body)
            .ok()?
            .partial_success
            .map(|p| (p.rejected_spans, p.error_message)),
        "logs" => logs::v1::ExportLogsServiceResponse::decode(body)
            .ok()?
            .partial_success
            .map(|p| (p.rejected_log_records, p.error_message)),
        _ => metrics::v1::ExportMetricsServiceResponse::decode(body)
            .ok()?
            .partial_success
            .map(|p| (p.rejected_data_points, p.error_message)),
    }
}

/// The server's explanation of a failure: a `google.rpc.Status` (protobuf or JSON) or text.
fn error_message(body: &[u8], content_type: &str) -> String {
    use prost::Message;
    if body.is_empty() {
        return String::new();
    }
    if content_type.contains("protobuf") {
        return RpcStatus::decode(body)
            .map(|s| s.message)
            .unwrap_or_default();
    }
    if content_type.contains("json")
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(message) = value.get("message").and_then(|m| m.as_str())
    {
        return message.to_owned();
    }
    String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned()
}

/// `Retry-After`: delay-seconds, or an HTTP-date (IMF-fixdate) relative to `now`.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = UNIX_EPOCH + Duration::from_secs(parse_imf_fixdate(value)?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Seconds since the epoch of `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_imf_fixdate(value: &str) -> Option<u64> {
    let mut parts = value.split_ascii_whitespace();
    let (_weekday, day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() || zone != "GMT" {
        return None;
    }
    let day: u64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let year: u64 = year.parse().ok().filter(|y| *y >= 1970)?;
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm), for
/// years from 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests;
