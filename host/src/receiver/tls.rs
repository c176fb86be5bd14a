//! Server TLS for both receivers: PEM certificate chain and key, and optionally a CA that
//! client certificates must chain to (mutual TLS). rustls with the ring provider only.

use crate::config::io::ServerTls;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig, server::WebPkiClientVerifier};

/// Why the TLS configuration could not be built. Each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file was read but holds no usable PEM item of the expected kind.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the combination (e.g. the key does not match the certificate).
    #[error("{what}: {source}")]
    Rustls {
        /// The files involved.
        what: String,
        /// rustls' reason.
        source: rustls::Error,
    },
}

/// Builds the rustls server configuration; `alpn` lists the protocols to offer, in order
/// of preference (gRPC needs `h2`).
pub fn server_config(tls: &ServerTls, alpn: &[&[u8]]) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = load_certs(&tls.cert)?;
    let key = load_key(&tls.key)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|source| TlsError::Rustls {
            what: "TLS protocol versions".into(),
            source,
        })?;
    let builder = match &tls.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in load_certs(ca)? {
                roots.add(cert).map_err(|source| TlsError::Rustls {
                    what: show(ca),
                    source,
                })?;
            }
            // Every client must present a certificate that chains to this CA.
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Pem {
                    path: show(ca),
                    reason: format!("unusable client CA: {e}"),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|source| TlsError::Rustls {
            what: format!("{} with {}", show(&tls.cert), show(&tls.key)),
            source,
        })?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn show(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: show(path),
        source,
    })
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            path: show(path),
            reason: format!("invalid PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: show(path),
            reason: "no CERTIFICATE block".into(),
        });
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(path)?;
    // Accepts PKCS#8, PKCS#1 (RSA) and SEC1 (EC) keys: whatever the first key block is.
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::Pem {
        path: show(path),
        reason: match e {
            rustls_pki_types::pem::Error::NoItemsFound => "no PRIVATE KEY block".into(),
            e => format!("invalid PEM: {e}"),
        },
    })
}
