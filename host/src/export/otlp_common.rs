//! What the OTLP/gRPC and OTLP/HTTP exporters share: `{tenant}` templates, the CA file, the
//! `google.rpc` messages servers use to explain a failure, partial-success logging, and how
//! a server's message is shortened before it is logged.

use crate::config::io::DestinationConfig;
use sluice_plugin_sdk::Signal;
use std::borrow::Cow;
use std::time::Duration;

use super::ExportError;

/// The placeholder replaced by a batch's tenant.
pub(crate) const TENANT: &str = "{tenant}";

/// The most characters of a server's message kept in an error or log line.
pub(crate) const MAX_SERVER_MESSAGE_CHARS: usize = 200;

/// A string that may contain `{tenant}`.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    raw: String,
    needs_tenant: bool,
}

/// Where a tenant goes, which decides the characters it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TenantIn {
    /// A URL: only `[A-Za-z0-9._-]`, so a tenant (which may come from the data itself) can
    /// never change the host, path or query the records go to.
    Url,
    /// A header value: any visible ASCII or space.
    Header,
}

impl Template {
    pub(crate) fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let needs_tenant = raw.contains(TENANT);
        Template { raw, needs_tenant }
    }

    /// The template with `{tenant}` replaced; `what` names it in errors (e.g. `endpoint`).
    pub(crate) fn render(
        &self,
        tenant: Option<&str>,
        within: TenantIn,
        what: &str,
    ) -> Result<Cow<'_, str>, ExportError> {
        if !self.needs_tenant {
            return Ok(Cow::Borrowed(&self.raw));
        }
        let Some(tenant) = tenant else {
            return Err(ExportError::permanent(format!(
                "{what} uses {TENANT} but the batch has no tenant"
            )));
        };
        check_tenant(tenant, within, what)?;
        Ok(Cow::Owned(self.raw.replace(TENANT, tenant)))
    }

    /// The template with a harmless stand-in tenant, to validate it once at start-up.
    pub(crate) fn sample(&self) -> Cow<'_, str> {
        if self.needs_tenant {
            Cow::Owned(self.raw.replace(TENANT, "tenant"))
        } else {
            Cow::Borrowed(&self.raw)
        }
    }
}

fn check_tenant(tenant: &str, within: TenantIn, what: &str) -> Result<(), ExportError> {
    let ok = !tenant.is_empty()
        && match within {
            TenantIn::Url => {
                tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                    && !tenant.starts_with('.')
            }
            TenantIn::Header => tenant.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
        };
    if ok {
        Ok(())
    } else {
        // The tenant is data, possibly hostile: say what is wrong, not what it is.
        let allowed = match within {
            TenantIn::Url => "letters, digits, `.`, `_` and `-`",
            TenantIn::Header => "visible ASCII",
        };
        Err(ExportError::permanent(format!(
            "{what}: the batch's tenant ({} bytes) is not usable here: only {allowed} allowed",
            tenant.len()
        )))
    }
}

/// `destination "name": field: problem`, the form of every configuration error.
pub(crate) fn config_error(
    config: &DestinationConfig,
    field: &str,
    problem: impl std::fmt::Display,
) -> String {
    format!("destination \"{}\": {field}: {problem}", config.name)
}

/// The configured endpoint, required.
pub(crate) fn endpoint_template(config: &DestinationConfig) -> Result<Template, String> {
    match config.endpoint.as_deref().map(str::trim) {
        Some(e) if !e.is_empty() => Ok(Template::new(e)),
        _ => Err(config_error(
            config,
            "endpoint",
            "required for OTLP destinations",
        )),
    }
}

/// The PEM of the configured `ca`, checked to hold at least one certificate.
pub(crate) fn read_ca(config: &DestinationConfig) -> Result<Option<Vec<u8>>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let Some(path) = &config.ca else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| {
        config_error(
            config,
            "ca",
            format_args!("cannot read {}: {e}", path.display()),
        )
    })?;
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        cert.map_err(|e| {
            config_error(
                config,
                "ca",
                format_args!("{}: not PEM certificates: {e}", path.display()),
            )
        })?;
        count += 1;
    }
    if count == 0 {
        return Err(config_error(
            config,
            "ca",
            format_args!("{}: no PEM certificate found", path.display()),
        ));
    }
    Ok(Some(pem))
}

/// The certificate and key a destination presents to its server (mutual TLS), read and
/// checked at startup: both files readable, PEM of the right kind, and the key belonging to
/// the certificate.
pub(crate) struct ClientIdentity {
    /// `client_cert` as read (PEM), for tonic.
    pub cert_pem: Vec<u8>,
    /// `client_key` as read (PEM), for tonic.
    pub key_pem: Vec<u8>,
    /// The parsed chain, leaf first, for rustls.
    pub certs: Vec<rustls_pki_types::CertificateDer<'static>>,
    /// The parsed key, for rustls.
    pub key: rustls_pki_types::PrivateKeyDer<'static>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("ClientIdentity")
            .field("certs", &self.certs.len())
            .finish_non_exhaustive()
    }
}

/// The configured `client_cert` and `client_key`, if any; every error names the destination,
/// the field and the file.
pub(crate) fn read_client_identity(
    config: &DestinationConfig,
) -> Result<Option<ClientIdentity>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let (cert_path, key_path) = match (&config.client_cert, &config.client_key) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        (Some(_), None) => {
            return Err(config_error(
                config,
                "client_key",
                "missing: `client_cert` needs its private key in `client_key`",
            ));
        }
        (None, Some(_)) => {
            return Err(config_error(
                config,
                "client_cert",
                "missing: `client_key` needs its certificate in `client_cert`",
            ));
        }
    };
    let read = |field: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| {
            config_error(
                config,
                field,
                format_args!("cannot read {}: {e}", path.display()),
            )
        })
    };
    let cert_pem = read("client_cert", cert_path)?;
    let key_pem = read("client_key", key_path)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            config_error(
                config,
                "client_cert",
                format_args!("{}: not PEM certificates: {e}", cert_path.display()),
            )
        })?;
    if certs.is_empty() {
        return Err(config_error(
            config,
            "client_cert",
            format_args!("{}: no PEM certificate found", cert_path.display()),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        let problem = match e {
            rustls_pki_types::pem::Error::NoItemsFound => "no PEM private key found".to_string(),
            e => format!("not a PEM private key: {e}"),
        };
        config_error(
            config,
            "client_key",
            format_args!("{}: {problem}", key_path.display()),
        )
    })?;
    // rustls checks that the key is usable and is the certificate's.
    let provider = tokio_rustls::rustls::crypto::ring::default_provider();
    tokio_rustls::rustls::sign::CertifiedKey::from_der(certs.clone(), key.clone_key(), &provider)
        .map_err(|e| {
        config_error(
            config,
            "client_key",
            format_args!(
                "{} does not fit the certificate in {}: {e}",
                key_path.display(),
                cert_path.display()
            ),
        )
    })?;
    Ok(Some(ClientIdentity {
        cert_pem,
        key_pem,
        certs,
        key,
    }))
}

/// The system's trusted roots plus the configured CA, for the HTTP exporter's rustls client,
/// presenting `identity` when the server asks for a client certificate.
pub(crate) fn rustls_client_config(
    config: &DestinationConfig,
    ca_pem: Option<&[u8]>,
    identity: Option<&ClientIdentity>,
) -> Result<tokio_rustls::rustls::ClientConfig, String> {
    use hyper_rustls::ConfigBuilderExt;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use std::sync::Arc;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};

    let builder = ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error(config, "endpoint", format_args!("TLS: {e}")))?;
    let builder = match ca_pem {
        None => builder.with_native_roots().map_err(|e| {
            config_error(
                config,
                "ca",
                format_args!("no system CA certificates usable ({e}); set `ca`"),
            )
        })?,
        Some(ca_pem) => {
            let mut roots = RootCertStore::empty();
            // Best effort: the configured `ca` is trusted even if the system has no certificates.
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            for cert in CertificateDer::pem_slice_iter(ca_pem) {
                let cert = cert.map_err(|e| config_error(config, "ca", e))?;
                roots.add(cert).map_err(|e| config_error(config, "ca", e))?;
            }
            builder.with_root_certificates(roots)
        }
    };
    match identity {
        None => Ok(builder.with_no_client_auth()),
        Some(id) => builder
            .with_client_auth_cert(id.certs.clone(), id.key.clone_key())
            .map_err(|e| config_error(config, "client_key", e)),
    }
}

/// A server's message made safe to log: control characters replaced, at most
/// [`MAX_SERVER_MESSAGE_CHARS`] characters.
pub(crate) fn server_message(message: &str) -> String {
    let message = message.trim();
    let mut out: String = message
        .chars()
        .take(MAX_SERVER_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if message.chars().nth(MAX_SERVER_MESSAGE_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// `google.rpc.Status`: the details of a gRPC status, and the body of OTLP/HTTP errors.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<ProtoAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ProtoAny {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ProtoDuration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

const RETRY_INFO_TYPE: &str = "google.rpc.RetryInfo";

/// What `google.rpc.Status` bytes say about retrying: `None` without a `RetryInfo`, else
/// `Some(delay)` (`Some(None)` when it carries no usable delay).
pub(crate) fn retry_info(status_details: &[u8]) -> Option<Option<Duration>> {
    use prost::Message;
    if status_details.is_empty() {
        return None;
    }
    let status = RpcStatus::decode(status_details).ok()?;
    let any = status
        .details
        .iter()
        .find(|d| d.type_url.ends_with(RETRY_INFO_TYPE))?;
    let info = RetryInfo::decode(any.value.as_slice()).ok();
    let delay = info.and_then(|i| i.retry_delay).and_then(|d| {
        let seconds = u64::try_from(d.seconds).ok()?;
        let nanos = u32::try_from(d.nanos).ok().filter(|n| *n < 1_000_000_000)?;
        Some(Duration::new(seconds, nanos))
    });
    Some(delay)
}

/// An error and its sources, `: `-separated (transport errors say little on top).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

/// The three signals' OTLP names: `traces`, `logs`, `metrics`.
pub(crate) fn signal_path(signal: Signal) -> &'static str {
    match signal {
        Signal::Span => "traces",
        Signal::Log => "logs",
        Signal::MetricPoint => "metrics",
    }
}

/// Logs a partial success: how many records the server rejected and its message, never
/// record content. OTLP says not to retry these, so the export counts as delivered.
pub(crate) fn report_partial_success(
    destination: &str,
    signal: &str,
    rejected: i64,
    message: &str,
) {
    if rejected > 0 {
        tracing::warn!(
            destination,
            signal,
            rejected,
            "server rejected part of the export (not retried): {}",
            server_message(message)
        );
    } else if !message.trim().is_empty() {
        tracing::info!(
            destination,
            signal,
            "server accepted the export with a warning: {}",
            server_message(message)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::FailureKind;
    use prost::Message;

    #[test]
    fn templates_replace_the_tenant_and_guard_urls() {
        let t = Template::new("https://{tenant}.example.com/otlp");
        assert!(t.needs_tenant);
        assert_eq!(
            t.render(Some("acme-1"), TenantIn::Url, "endpoint").unwrap(),
            "https://acme-1.example.com/otlp"
        );
        let err = t.render(None, TenantIn::Url, "endpoint").unwrap_err();
        assert_eq!(err.kind, FailureKind::Permanent);
        assert!(err.message.contains("no tenant"), "{}", err.message);
        for hostile in ["evil.com/x?", "a@b", "a:1", "", "..", "a b"] {
            let err = t
                .render(Some(hostile), TenantIn::Url, "endpoint")
                .unwrap_err();
            assert_eq!(err.kind, FailureKind::Permanent);
            if !hostile.is_empty() {
                // The tenant is not echoed into logs.
                assert!(!err.message.contains(hostile), "{}", err.message);
            }
        }
        let h = Template::new("Bearer {tenant}");
        assert_eq!(
            h.render(Some("a b/c"), TenantIn::Header, "headers.x")
                .unwrap(),
            "Bearer a b/c"
        );
        assert!(
            h.render(Some("a\r\nb"), TenantIn::Header, "headers.x")
                .is_err()
        );
        let plain = Template::new("static");
        assert_eq!(
            plain.render(None, TenantIn::Url, "endpoint").unwrap(),
            "static"
        );
    }

    #[test]
    fn server_messages_are_bounded_and_single_line() {
        assert_eq!(server_message(" bad\nrequest "), "bad request");
        let long = "é".repeat(500);
        let short = server_message(&long);
        assert_eq!(short.chars().count(), MAX_SERVER_MESSAGE_CHARS + 1);
    }

    #[test]
    fn retry_info_is_read_from_status_details() {
        let info = RetryInfo {
            retry_delay: Some(ProtoDuration {
                seconds: 3,
                nanos: 500_000_000,
            }),
        };
        let status = RpcStatus {
            code: 8,
            message: "slow down".into(),
            details: vec![
                ProtoAny {
                    type_url: "type.googleapis.com/google.rpc.DebugInfo".into(),
                    value: vec![1, 2],
                },
                ProtoAny {
                    type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
                    value: info.encode_to_vec(),
                },
            ],
        };
        assert_eq!(
            retry_info(&status.encode_to_vec()),
            Some(Some(Duration::from_millis(3500)))
        );
        let without = RpcStatus {
            code: 8,
            message: "x".into(),
            details: vec![],
        };
        assert_eq!(retry_info(&without.encode_to_vec()), None);
        assert_eq!(retry_info(&[]), None);
        assert_eq!(retry_info(&[0xff, 0xff]), None);
        let no_delay = RpcStatus {
            code: 8,
            message: String::new(),
            details: vec![ProtoAny {
                type_url: "google.rpc.RetryInfo".into(),
                value: vec![],
            }],
        };
        assert_eq!(retry_info(&no_delay.encode_to_vec()), Some(None));
    }
}
