//! The `otlp_grpc` destination: `opentelemetry.proto.collector.*.v1` `Export` calls over a
//! lazily connected, reused tonic channel (one per distinct endpoint when the endpoint is
//! templated by tenant), classified as OTLP prescribes.

use super::otlp_common::{
    ClientIdentity, Template, TenantIn, config_error, endpoint_template, error_chain, read_ca,
    read_client_identity, report_partial_success, retry_info, server_message,
};
use super::{Body, ExportBatch, ExportError, Exporter, FailureKind};
use crate::config::{Compression, DestinationConfig};
use bytes::{BufMut, Bytes};
use http::uri::PathAndQuery;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use sluice_plugin_sdk::Signal;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};

/// Distinct endpoints (tenants, when the endpoint is templated) whose channels are kept; past
/// it, one is closed for each new one.
const MAX_CHANNELS: usize = 256;

/// An OTLP/gRPC exporter.
pub struct OtlpGrpcExporter {
    name: String,
    endpoint: Template,
    headers: Vec<(AsciiMetadataKey, Template)>,
    compression: Option<CompressionEncoding>,
    timeout: Duration,
    /// For `https` endpoints.
    tls: Option<ClientTlsConfig>,
    channels: Mutex<HashMap<String, Channel>>,
}

impl std::fmt::Debug for OtlpGrpcExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values may be credentials: names only.
        f.debug_struct("OtlpGrpcExporter")
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
            .field("timeout", &self.timeout)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl OtlpGrpcExporter {
    /// Checks the destination's endpoint, headers and CA; connects on first export.
    pub fn new(config: &DestinationConfig) -> Result<Self, String> {
        let endpoint = endpoint_template(config)?;
        let sample = endpoint.sample();
        let parsed = Endpoint::from_shared(sample.to_string())
            .map_err(|e| config_error(config, "endpoint", format_args!("not a URI: {e}")))?;
        let https = match parsed.uri().scheme_str() {
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
        if parsed.uri().host().is_none() {
            return Err(config_error(config, "endpoint", "has no host"));
        }
        let ca = read_ca(config)?;
        let identity = read_client_identity(config)?;
        let tls = match (https, identity) {
            (true, identity) => Some(tls_config(
                config,
                &parsed,
                ca.as_deref(),
                identity.as_ref(),
            )?),
            (false, None) => None,
            (false, Some(_)) => {
                return Err(config_error(
                    config,
                    "client_cert",
                    "a client certificate needs an https:// endpoint",
                ));
            }
        };

        let mut headers = Vec::with_capacity(config.headers.len());
        for (name, value) in &config.headers {
            let field = format!("headers.{name}");
            let key = AsciiMetadataKey::from_bytes(name.as_bytes()).map_err(|_| {
                config_error(
                    config,
                    &field,
                    "not a valid gRPC metadata name (binary `-bin` metadata is not supported)",
                )
            })?;
            let value = Template::new(value.clone());
            if !value
                .sample()
                .bytes()
                .all(|b| b == b' ' || b.is_ascii_graphic())
            {
                return Err(config_error(
                    config,
                    &field,
                    "the value must be visible ASCII",
                ));
            }
            headers.push((key, value));
        }

        let compression = match config.compression {
            Compression::None => None,
            Compression::Gzip => Some(CompressionEncoding::Gzip),
            Compression::Zstd => Some(CompressionEncoding::Zstd),
        };
        Ok(OtlpGrpcExporter {
            name: config.name.clone(),
            endpoint,
            headers,
            compression,
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            tls,
            channels: Mutex::new(HashMap::new()),
        })
    }

    /// The channel of a resolved endpoint, created (unconnected) on first use.
    fn channel(&self, uri: &str) -> Result<Channel, ExportError> {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(channel) = channels.get(uri) {
            return Ok(channel.clone());
        }
        // Building the TLS connector reads the system's roots: not under the lock.
        drop(channels);
        let mut endpoint = Endpoint::from_shared(uri.to_owned())
            .map_err(|e| ExportError::permanent(format!("endpoint is not a URI: {e}")))?
            .connect_timeout(self.timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_timeout(Duration::from_secs(10))
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .map_err(|e| ExportError::permanent(format!("user agent: {e}")))?;
        match (endpoint.uri().scheme_str(), &self.tls) {
            (Some("https"), Some(tls)) => {
                endpoint = endpoint
                    .tls_config(tls.clone())
                    .map_err(|e| ExportError::permanent(format!("TLS: {}", error_chain(&e))))?;
            }
            (Some("http"), None) => {}
            // The tenant cannot change the scheme (it is restricted to `[A-Za-z0-9._-]`), so
            // this is a template like `http{tenant}://`.
            _ => {
                return Err(ExportError::permanent(
                    "endpoint: the tenant changed the scheme",
                ));
            }
        }
        let channel = endpoint.connect_lazy();
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(raced) = channels.get(uri) {
            return Ok(raced.clone());
        }
        if channels.len() >= MAX_CHANNELS
            && let Some(old) = channels.keys().next().cloned()
        {
            // In-flight calls hold their own clone: only idle reuse is lost.
            channels.remove(&old);
        }
        channels.insert(uri.to_owned(), channel.clone());
        Ok(channel)
    }

    fn metadata(&self, tenant: Option<&str>) -> Result<MetadataMap, ExportError> {
        let mut metadata = MetadataMap::with_capacity(self.headers.len());
        for (key, template) in &self.headers {
            let value = template.render(tenant, TenantIn::Header, &format!("headers.{key}"))?;
            let value = AsciiMetadataValue::try_from(value.as_ref()).map_err(|_| {
                ExportError::permanent(format!("headers.{key}: not a valid metadata value"))
            })?;
            metadata.insert(key.clone(), value);
        }
        Ok(metadata)
    }

    fn request<T>(&self, message: T, metadata: MetadataMap) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        *request.metadata_mut() = metadata;
        // Sent as `grpc-timeout`, so the server gives up when we do.
        request.set_timeout(self.timeout);
        request
    }

    /// One `Export` call of an encoded request, answered by a `Response`.
    async fn call<Response>(
        &self,
        channel: Channel,
        request: tonic::Request<Vec<Bytes>>,
        path: &'static str,
    ) -> Result<Response, ExportError>
    where
        Response: prost::Message + Default + Send + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(channel)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd);
        if let Some(encoding) = self.compression {
            grpc = grpc.send_compressed(encoding);
        }
        grpc.ready()
            .await
            .map_err(|e| ExportError::retryable(format!("gRPC channel not ready: {e}")))?;
        let codec = EncodedCodec::<Response>(PhantomData);
        let response = grpc
            .unary(request, PathAndQuery::from_static(path), codec)
            .await
            .map_err(classify)?;
        Ok(response.into_inner())
    }

    async fn export_encoded(
        &self,
        channel: Channel,
        metadata: MetadataMap,
        payload: &Body,
    ) -> Result<(), ExportError> {
        let request = self.request(payload.protobuf_parts(), metadata);
        let (signal, rejected, message) = match payload.signal() {
            Signal::Span => {
                let path = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
                let r: ExportTraceServiceResponse = self.call(channel, request, path).await?;
                let p = r.partial_success.unwrap_or_default();
                ("traces", p.rejected_spans, p.error_message)
            }
            Signal::Log => {
                let path = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
                let r: ExportLogsServiceResponse = self.call(channel, request, path).await?;
                let p = r.partial_success.unwrap_or_default();
                ("logs", p.rejected_log_records, p.error_message)
            }
            Signal::MetricPoint => {
                let path = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
                let r: ExportMetricsServiceResponse = self.call(channel, request, path).await?;
                let p = r.partial_success.unwrap_or_default();
                ("metrics", p.rejected_data_points, p.error_message)
            }
        };
        report_partial_success(&self.name, signal, rejected, &message);
        Ok(())
    }
}

/// A tonic codec that sends a request already encoded (in parts, concatenated into tonic's
/// buffer) and decodes the response with prost.
/// The exporter encodes from the queue's batch (kept for retries) into one buffer of the
/// exact size, instead of deep-copying the batch for tonic's generated client to own and
/// encode into a buffer grown by doubling.
struct EncodedCodec<Response>(PhantomData<Response>);

impl<Response: prost::Message + Default + Send + 'static> Codec for EncodedCodec<Response> {
    type Encode = Vec<Bytes>;
    type Decode = Response;
    type Encoder = BytesEncoder;
    type Decoder = ProstDecoder<Response>;

    fn encoder(&mut self) -> BytesEncoder {
        BytesEncoder
    }

    fn decoder(&mut self) -> ProstDecoder<Response> {
        ProstDecoder(PhantomData)
    }
}

/// Writes the parts of an encoded message.
struct BytesEncoder;

impl Encoder for BytesEncoder {
    type Item = Vec<Bytes>;
    type Error = Status;

    fn encode(&mut self, parts: Vec<Bytes>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.reserve(parts.iter().map(Bytes::len).sum());
        for part in &parts {
            dst.put_slice(part);
        }
        Ok(())
    }
}

/// Decodes a response message.
struct ProstDecoder<Response>(PhantomData<Response>);

impl<Response: prost::Message + Default> Decoder for ProstDecoder<Response> {
    type Item = Response;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Response>, Status> {
        Response::decode(src)
            .map(Some)
            .map_err(|e| Status::internal(format!("undecodable response: {e}")))
    }
}

#[async_trait::async_trait]
impl Exporter for OtlpGrpcExporter {
    fn sends_protobuf(&self) -> bool {
        true
    }

    async fn export(&self, batch: &ExportBatch) -> Result<(), ExportError> {
        let tenant = batch.tenant.as_deref();
        let uri = self.endpoint.render(tenant, TenantIn::Url, "endpoint")?;
        let channel = self.channel(&uri)?;
        let metadata = self.metadata(tenant)?;
        let call = self.export_encoded(channel, metadata, &batch.payload);
        // Bounds connecting too, which the channel's own request timeout does not cover.
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(ExportError::retryable(format!(
                "gRPC export timed out after {} ms",
                self.timeout.as_millis()
            ))),
        }
    }
}

/// Native roots plus the configured CA; only the CA when the system has no roots at all. The
/// client certificate, if any, is presented when the server asks for one.
fn tls_config(
    config: &DestinationConfig,
    endpoint: &Endpoint,
    ca: Option<&[u8]>,
    identity: Option<&ClientIdentity>,
) -> Result<ClientTlsConfig, String> {
    let timeout = Duration::from_millis(config.timeout_ms.max(1));
    let with_ca = |tls: ClientTlsConfig| {
        let tls = match identity {
            Some(id) => tls.identity(Identity::from_pem(&id.cert_pem, &id.key_pem)),
            None => tls,
        };
        match ca {
            Some(pem) => tls.ca_certificate(Certificate::from_pem(pem)),
            None => tls,
        }
    };
    let native = with_ca(ClientTlsConfig::new().with_native_roots().timeout(timeout));
    let native_error = match endpoint.clone().tls_config(native.clone()) {
        Ok(_) => return Ok(native),
        Err(e) => error_chain(&e),
    };
    if ca.is_none() {
        return Err(config_error(
            config,
            "ca",
            format_args!("no usable system CA certificates for TLS ({native_error}); set `ca`"),
        ));
    }
    let ca_only = with_ca(ClientTlsConfig::new().timeout(timeout));
    endpoint
        .clone()
        .tls_config(ca_only.clone())
        .map_err(|e| config_error(config, "ca", format_args!("TLS: {}", error_chain(&e))))?;
    tracing::warn!(destination = %config.name, "no system CA certificates ({native_error}): trusting only `ca`");
    Ok(ca_only)
}

/// The spec's classification of a failed `Export` call.
fn classify(status: Status) -> ExportError {
    let code = status.code();
    let retry = retry_info(status.details());
    // tonic makes an `UNKNOWN` status up when the connection fails under a call (a reset, a
    // TLS alert such as a refused client certificate); it carries that error as its source.
    // The server said nothing, so the spec's table of server answers does not apply: try
    // again, as for any other transport failure.
    let transport_failure = code == Code::Unknown && std::error::Error::source(&status).is_some();
    let retryable = match code {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => true,
        // Only when the server says it will recover (it sent RetryInfo).
        Code::ResourceExhausted => retry.is_some(),
        _ => transport_failure,
    };
    let mut message = format!("gRPC status {}", code_name(code));
    let server = server_message(status.message());
    if !server.is_empty() {
        message.push_str(": ");
        message.push_str(&server);
    }
    // Transport errors (connection refused, TLS) carry their cause as the source, and its
    // text as the message; fall back on the source when the message is empty.
    if server.is_empty()
        && let Some(source) = std::error::Error::source(&status)
    {
        message.push_str(": ");
        message.push_str(&server_message(&error_chain(source)));
    }
    ExportError {
        kind: if retryable {
            FailureKind::Retryable
        } else {
            FailureKind::Permanent
        },
        retry_after: retry.flatten(),
        message,
    }
}

/// The canonical name of a gRPC code, as the spec writes it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests;
