//! Tenant identity: which tenant a request's records belong to, and stamping it into the
//! data (a resource attribute) before any queue, so it survives batching and restarts and a
//! client cannot write into another tenant's data.

use crate::config::{TenancyConfig, TenantSource};
use crate::ingest::IngestError;
use crate::otlp::Payload;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::resource::v1::Resource;
use std::collections::HashMap;

/// Resolves and stamps tenants per the config.
#[derive(Debug, Clone)]
pub struct Tenancy {
    source: TenantSource,
    attribute: String,
    header: http::HeaderName,
    unknown: String,
    keys: HashMap<String, String>,
}

impl Tenancy {
    /// From a validated config.
    pub fn new(config: &TenancyConfig) -> Self {
        let default_header = match config.source {
            TenantSource::ApiKey => "authorization",
            _ => "x-scope-orgid",
        };
        let header = config.header.as_deref().unwrap_or(default_header);
        Tenancy {
            source: config.source,
            attribute: config.attribute.clone(),
            header: http::HeaderName::from_bytes(header.to_ascii_lowercase().as_bytes())
                .unwrap_or(http::HeaderName::from_static("x-scope-orgid")),
            unknown: config.unknown.clone(),
            keys: config
                .api_keys
                .iter()
                .map(|k| (k.key.clone(), k.tenant.clone()))
                .collect(),
        }
    }

    /// The resource attribute carrying the tenant.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }

    /// The tenant of records without one.
    pub fn unknown(&self) -> &str {
        &self.unknown
    }

    /// The tenant the request is authoritative for, if the source is a header or a key.
    /// A missing or unknown API key is refused before anything is accepted.
    pub fn resolve(&self, headers: &http::HeaderMap) -> Result<Option<String>, IngestError> {
        let value = headers
            .get(&self.header)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        match self.source {
            TenantSource::Attribute => Ok(None),
            TenantSource::Header => Ok(Some(
                value
                    .filter(|v| !v.is_empty())
                    .unwrap_or(&self.unknown)
                    .to_string(),
            )),
            TenantSource::ApiKey => {
                let key = match value {
                    Some(v) if self.header == http::header::AUTHORIZATION => {
                        v.strip_prefix("Bearer ").map(str::trim)
                    }
                    other => other,
                };
                let Some(key) = key.filter(|k| !k.is_empty()) else {
                    return Err(IngestError::Unauthenticated(format!(
                        "no API key in the `{}` header",
                        self.header
                    )));
                };
                // The key itself is never logged or echoed.
                self.keys
                    .get(key)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| IngestError::Unauthenticated("unknown API key".to_string()))
            }
        }
    }

    /// Writes `tenant` into every resource, overwriting what the client claimed.
    pub fn stamp(&self, payload: &mut Payload, tenant: &str) {
        match payload {
            Payload::Traces(r) => r
                .resource_spans
                .iter_mut()
                .for_each(|x| self.stamp_resource(&mut x.resource, tenant)),
            Payload::Logs(r) => r
                .resource_logs
                .iter_mut()
                .for_each(|x| self.stamp_resource(&mut x.resource, tenant)),
            Payload::Metrics(r) => r
                .resource_metrics
                .iter_mut()
                .for_each(|x| self.stamp_resource(&mut x.resource, tenant)),
        }
    }

    /// Writes `tenant` into one resource, overwriting what the client claimed.
    pub fn stamp_resource(&self, resource: &mut Option<Resource>, tenant: &str) {
        let attrs = &mut resource.get_or_insert_with(Default::default).attributes;
        attrs.retain(|kv| kv.key != self.attribute);
        let value = Value::StringValue(tenant.to_string());
        crate::pipeline::set_attribute(attrs, &self.attribute, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ApiKey;

    fn tenancy(source: TenantSource) -> Tenancy {
        Tenancy::new(&TenancyConfig {
            source,
            api_keys: vec![ApiKey {
                key: "k-acme-FAKE".into(),
                tenant: "acme".into(),
            }],
            ..Default::default()
        })
    }

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn api_keys_map_to_tenants_and_wrong_keys_are_refused() {
        let t = tenancy(TenantSource::ApiKey);
        assert_eq!(
            t.resolve(&headers(&[("authorization", "Bearer k-acme-FAKE")])),
            Ok(Some("acme".into()))
        );
        let wrong = t
            .resolve(&headers(&[("authorization", "Bearer nope")]))
            .unwrap_err();
        assert_eq!(
            wrong,
            IngestError::Unauthenticated("unknown API key".into())
        );
        assert!(!wrong.to_string().contains("nope"));
        assert!(matches!(
            t.resolve(&headers(&[])),
            Err(IngestError::Unauthenticated(_))
        ));
    }

    #[test]
    fn header_source_falls_back_to_unknown() {
        let t = tenancy(TenantSource::Header);
        assert_eq!(
            t.resolve(&headers(&[("x-scope-orgid", "globex")])),
            Ok(Some("globex".into()))
        );
        assert_eq!(t.resolve(&headers(&[])), Ok(Some("unknown".into())));
        assert_eq!(
            tenancy(TenantSource::Attribute).resolve(&headers(&[("x-scope-orgid", "x")])),
            Ok(None)
        );
    }

    #[test]
    fn stamping_overwrites_a_claimed_tenant() {
        let line = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"tenant.id","value":{"stringValue":"victim"}}]},"scopeSpans":[{"spans":[{"name":"s"}]}]},{"scopeSpans":[{"spans":[{"name":"t"}]}]}]}"#;
        let mut p = crate::otlp::json::decode_line(line).unwrap().remove(0);
        tenancy(TenantSource::ApiKey).stamp(&mut p, "acme");
        let out = crate::otlp::json::encode_line(&p);
        assert!(!out.contains("victim"), "{out}");
        assert_eq!(
            out.matches(r#"{"key":"tenant.id","value":{"stringValue":"acme"}}"#)
                .count(),
            2,
            "{out}"
        );
    }
}
