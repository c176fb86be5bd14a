//! Where records come from and go to: receivers, tenancy, destinations, routing, admin.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A source of records for `sluice run`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "snake_case")]
pub enum ReceiverConfig {
    /// OTLP JSON lines (or an OTLP protobuf file) read from a path, or stdin for `-`.
    File {
        /// The file, or `-` for stdin.
        path: String,
    },
    /// OTLP over gRPC (`opentelemetry.proto.collector.*.v1` services).
    OtlpGrpc {
        /// Listen address.
        #[serde(default = "grpc_address")]
        address: SocketAddr,
        /// Largest accepted request, after decompression.
        #[serde(default = "max_request_bytes")]
        max_request_bytes: usize,
        /// TLS; plaintext when absent.
        tls: Option<ServerTls>,
        /// See [`ConnectionLimits::header_read_timeout_ms`].
        #[serde(default = "header_read_timeout_ms")]
        header_read_timeout_ms: u64,
        /// See [`ConnectionLimits::body_read_timeout_ms`].
        #[serde(default = "body_read_timeout_ms")]
        body_read_timeout_ms: u64,
        /// See [`ConnectionLimits::idle_timeout_ms`].
        #[serde(default = "idle_timeout_ms")]
        idle_timeout_ms: u64,
        /// See [`ConnectionLimits::max_connections`].
        #[serde(default = "max_connections")]
        max_connections: usize,
        /// See [`ConnectionLimits::max_concurrent_streams`].
        #[serde(default = "max_concurrent_streams")]
        max_concurrent_streams: u32,
        /// See [`ConnectionLimits::keepalive_interval_ms`].
        #[serde(default = "keepalive_interval_ms")]
        keepalive_interval_ms: u64,
        /// See [`ConnectionLimits::keepalive_timeout_ms`].
        #[serde(default = "keepalive_timeout_ms")]
        keepalive_timeout_ms: u64,
    },
    /// OTLP over HTTP (`/v1/traces`, `/v1/logs`, `/v1/metrics`; protobuf or JSON).
    OtlpHttp {
        /// Listen address.
        #[serde(default = "http_address")]
        address: SocketAddr,
        /// Largest accepted request body, after decompression.
        #[serde(default = "max_request_bytes")]
        max_request_bytes: usize,
        /// TLS; plaintext when absent.
        tls: Option<ServerTls>,
        /// See [`ConnectionLimits::header_read_timeout_ms`].
        #[serde(default = "header_read_timeout_ms")]
        header_read_timeout_ms: u64,
        /// See [`ConnectionLimits::body_read_timeout_ms`].
        #[serde(default = "body_read_timeout_ms")]
        body_read_timeout_ms: u64,
        /// See [`ConnectionLimits::idle_timeout_ms`].
        #[serde(default = "idle_timeout_ms")]
        idle_timeout_ms: u64,
        /// See [`ConnectionLimits::max_connections`].
        #[serde(default = "max_connections")]
        max_connections: usize,
        /// See [`ConnectionLimits::max_concurrent_streams`].
        #[serde(default = "max_concurrent_streams")]
        max_concurrent_streams: u32,
        /// See [`ConnectionLimits::keepalive_interval_ms`].
        #[serde(default = "keepalive_interval_ms")]
        keepalive_interval_ms: u64,
        /// See [`ConnectionLimits::keepalive_timeout_ms`].
        #[serde(default = "keepalive_timeout_ms")]
        keepalive_timeout_ms: u64,
    },
}

impl ReceiverConfig {
    /// The connection limits of a network receiver (`None` for a file receiver).
    pub fn limits(&self) -> Option<ConnectionLimits> {
        match self {
            ReceiverConfig::File { .. } => None,
            ReceiverConfig::OtlpGrpc {
                header_read_timeout_ms,
                body_read_timeout_ms,
                idle_timeout_ms,
                max_connections,
                max_concurrent_streams,
                keepalive_interval_ms,
                keepalive_timeout_ms,
                ..
            }
            | ReceiverConfig::OtlpHttp {
                header_read_timeout_ms,
                body_read_timeout_ms,
                idle_timeout_ms,
                max_connections,
                max_concurrent_streams,
                keepalive_interval_ms,
                keepalive_timeout_ms,
                ..
            } => Some(ConnectionLimits {
                header_read_timeout_ms: *header_read_timeout_ms,
                body_read_timeout_ms: *body_read_timeout_ms,
                idle_timeout_ms: *idle_timeout_ms,
                max_connections: *max_connections,
                max_concurrent_streams: *max_concurrent_streams,
                keepalive_interval_ms: *keepalive_interval_ms,
                keepalive_timeout_ms: *keepalive_timeout_ms,
            }),
        }
    }
}

/// How a network receiver protects itself from slow, idle and too many clients (slow-loris).
/// Every timeout is a deadline on the client's progress, never on sluice's own processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A new connection must complete its TLS handshake and send its first request within
    /// this many ms of being accepted; otherwise it is closed. Over HTTP/1.1 hyper's header
    /// read timer also bounds every request head by it, from when the connection waits for
    /// one (so an idle keep-alive connection closes after it, and a head dribbled from the
    /// first bytes gets at most twice this).
    pub header_read_timeout_ms: u64,
    /// A request's body must arrive in full within this many ms of its head; otherwise the
    /// request is answered 408 (HTTP; the HTTP/1.1 connection is closed) or
    /// `DEADLINE_EXCEEDED` (gRPC).
    pub body_read_timeout_ms: u64,
    /// A connection with no request in flight for this long is closed (HTTP/2: `GOAWAY`).
    pub idle_timeout_ms: u64,
    /// Open connections (TLS handshakes included) at most; a connection accepted beyond it is
    /// answered "retry later" (HTTP 503, gRPC `UNAVAILABLE`) and closed.
    pub max_connections: usize,
    /// HTTP/2 (and gRPC): concurrent requests per connection (`SETTINGS_MAX_CONCURRENT_STREAMS`).
    pub max_concurrent_streams: u32,
    /// HTTP/2 (and gRPC): ping an idle connection this often (0: never), to find dead peers.
    pub keepalive_interval_ms: u64,
    /// HTTP/2 (and gRPC): close the connection when a ping is not answered within this.
    pub keepalive_timeout_ms: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout_ms: header_read_timeout_ms(),
            body_read_timeout_ms: body_read_timeout_ms(),
            idle_timeout_ms: idle_timeout_ms(),
            max_connections: max_connections(),
            max_concurrent_streams: max_concurrent_streams(),
            keepalive_interval_ms: keepalive_interval_ms(),
            keepalive_timeout_ms: keepalive_timeout_ms(),
        }
    }
}

fn header_read_timeout_ms() -> u64 {
    10_000
}

fn body_read_timeout_ms() -> u64 {
    30_000
}

fn idle_timeout_ms() -> u64 {
    120_000
}

fn max_connections() -> usize {
    4096
}

fn max_concurrent_streams() -> u32 {
    100
}

fn keepalive_interval_ms() -> u64 {
    30_000
}

fn keepalive_timeout_ms() -> u64 {
    10_000
}

fn grpc_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 4317))
}

fn http_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 4318))
}

fn max_request_bytes() -> usize {
    16 << 20
}

/// A server certificate and key (PEM), and optionally a CA that client certificates must
/// chain to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTls {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
    /// Require client certificates signed by this CA (PEM).
    pub client_ca: Option<PathBuf>,
}

/// Where a request's tenant comes from.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum TenantSource {
    /// An API key (bearer token, or the configured header) mapped to a tenant; a request with
    /// a missing or unknown key is refused. The tenant overwrites whatever the data claims.
    ApiKey,
    /// A request header names the tenant (e.g. `X-Scope-OrgID`); it overwrites the data's.
    Header,
    /// The data's own resource attribute names it.
    #[default]
    Attribute,
}

/// Tenant identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenancyConfig {
    /// Where the tenant comes from.
    #[serde(default)]
    pub source: TenantSource,
    /// The resource attribute carrying the tenant.
    #[serde(default = "tenant_attribute")]
    pub attribute: String,
    /// The header naming the tenant (`header` source) or carrying the key (`api_key` source;
    /// `authorization` means `Bearer <key>`).
    pub header: Option<String>,
    /// The tenant of records that have none.
    #[serde(default = "unknown_tenant")]
    pub unknown: String,
    /// API keys and their tenants (`api_key` source). Put keys in the environment: `key = "${ACME_KEY}"`.
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
}

impl Default for TenancyConfig {
    fn default() -> Self {
        TenancyConfig {
            source: TenantSource::default(),
            attribute: tenant_attribute(),
            header: None,
            unknown: unknown_tenant(),
            api_keys: Vec::new(),
        }
    }
}

fn tenant_attribute() -> String {
    "tenant.id".into()
}

fn unknown_tenant() -> String {
    "unknown".into()
}

/// One API key.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// The key.
    pub key: String,
    /// The tenant it authenticates as.
    pub tenant: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself.
        f.debug_struct("ApiKey")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// A place records can be exported to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationConfig {
    /// The destination's unique name, used by routing and by plugins.
    pub name: String,
    /// Where the data is stored, for residency policies.
    pub region: Option<String>,
    /// Whether a third party (a vendor) operates it.
    #[serde(default)]
    pub third_party: bool,
    /// Whether it persists records.
    #[serde(default = "yes")]
    pub retains: bool,
    /// How records are delivered.
    #[serde(rename = "type")]
    pub kind: DestinationKind,
    /// For `file`: the file, or `-` for stdout. `{tenant}` makes one file per tenant.
    pub path: Option<String>,
    /// For OTLP: the endpoint (`http://host:4317` for gRPC; for HTTP the base URL, to which
    /// `/v1/traces` etc. are appended). `{tenant}` is replaced by the records' tenant.
    pub endpoint: Option<String>,
    /// For OTLP: headers sent with every request; values may use `{tenant}` and `${ENV}`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// For OTLP: request compression.
    #[serde(default)]
    pub compression: Compression,
    /// For OTLP/HTTP: body encoding.
    #[serde(default)]
    pub encoding: Encoding,
    /// For OTLP: deadline of one request.
    #[serde(default = "export_timeout_ms")]
    pub timeout_ms: u64,
    /// For OTLP: a CA (PEM) to trust besides the system's, for `https` endpoints.
    pub ca: Option<PathBuf>,
    /// For OTLP over `https`: a client certificate chain (PEM) presented to the server
    /// (mutual TLS); set together with `client_key`.
    pub client_cert: Option<PathBuf>,
    /// For OTLP over `https`: the private key (PEM) of `client_cert`.
    pub client_key: Option<PathBuf>,
    /// The destination's own queue.
    #[serde(default)]
    pub queue: QueueConfig,
    /// Merging queued payloads into fewer, larger export requests.
    #[serde(default)]
    pub batch: BatchConfig,
    /// Retries of retryable failures.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn yes() -> bool {
    true
}

fn export_timeout_ms() -> u64 {
    10_000
}

/// How a destination delivers records.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// OTLP JSON lines appended to `path` (stdout for `-`).
    File,
    /// Records are counted and discarded.
    Discard,
    /// OTLP/gRPC to `endpoint`.
    OtlpGrpc,
    /// OTLP/HTTP to `endpoint`.
    OtlpHttp,
}

/// Request compression.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// None.
    None,
    /// gzip.
    #[default]
    Gzip,
    /// zstd.
    Zstd,
}

/// OTLP/HTTP body encoding.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// `application/x-protobuf`.
    #[default]
    Protobuf,
    /// `application/json`.
    Json,
}

/// A destination's queue: bounded, with its own workers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Batches the queue holds.
    #[serde(default = "queue_capacity")]
    pub capacity: usize,
    /// Concurrent exports.
    #[serde(default = "queue_workers")]
    pub workers: usize,
    /// What a full queue does (full by count or by bytes).
    #[serde(default)]
    pub on_full: OnFull,
    /// Encoded (protobuf) bytes of the destination's payloads at most: waiting, being merged
    /// or being sent. A single payload larger than this is queued only when the queue holds
    /// nothing.
    #[serde(default = "queue_max_bytes")]
    pub max_bytes: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: queue_capacity(),
            workers: queue_workers(),
            on_full: OnFull::default(),
            max_bytes: queue_max_bytes(),
        }
    }
}

/// 32 MiB per destination: with the process's own ≈ 90 MB, a deployment with two busy
/// destinations stays under 200 MB resident at peak (issue 9's aim), and at the default
/// 4 MB export request it still holds eight full requests per destination, so a burst or a
/// short stall of the destination is absorbed. The budget is per destination: sizing memory
/// is destinations × `max_bytes` plus the process.
fn queue_max_bytes() -> usize {
    32 << 20
}

fn queue_capacity() -> usize {
    1000
}

fn queue_workers() -> usize {
    2
}

/// Merging small payloads (one per client request) into larger export requests: a merged
/// request is sent when it holds `max_records` records or `max_bytes` encoded bytes, or
/// `timeout_ms` after its first part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// Records per export request at most (a larger payload is sent alone, unsplit).
    #[serde(default = "batch_max_records")]
    pub max_records: usize,
    /// Encoded (protobuf) bytes per export request at most (a larger payload is sent alone,
    /// unsplit). The default fits the 4 MiB message limit gRPC servers (the OpenTelemetry
    /// Collector's among them) apply unless configured otherwise.
    #[serde(default = "batch_max_bytes")]
    pub max_bytes: usize,
    /// How long the first part of a request waits for more; 0 sends every payload at once.
    #[serde(default = "batch_timeout_ms")]
    pub timeout_ms: u64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_records: batch_max_records(),
            max_bytes: batch_max_bytes(),
            timeout_ms: batch_timeout_ms(),
        }
    }
}

fn batch_max_records() -> usize {
    8192
}

fn batch_max_bytes() -> usize {
    4_000_000
}

fn batch_timeout_ms() -> u64 {
    200
}

/// What a full destination queue does with a new batch.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnFull {
    /// Answer the client with a retryable error (gRPC `UNAVAILABLE`, HTTP 503 with
    /// `Retry-After`), so it retries and nothing is lost.
    #[default]
    Reject,
    /// Wait for room (back-pressure on the client's request).
    Block,
    /// Drop the oldest queued batch and count it.
    DropOldest,
}

/// Exponential backoff with jitter for retryable export failures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// First wait.
    #[serde(default = "initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// Longest wait.
    #[serde(default = "max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// Give up on a batch after this long (0: never).
    #[serde(default = "max_elapsed_ms")]
    pub max_elapsed_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            initial_backoff_ms: initial_backoff_ms(),
            max_backoff_ms: max_backoff_ms(),
            max_elapsed_ms: max_elapsed_ms(),
        }
    }
}

fn initial_backoff_ms() -> u64 {
    500
}

fn max_backoff_ms() -> u64 {
    30_000
}

fn max_elapsed_ms() -> u64 {
    300_000
}

/// The initial destinations of every record.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// Destinations of tenants without a route of their own; all destinations when absent.
    pub default: Option<Vec<String>>,
    /// Per-tenant routes.
    #[serde(default)]
    pub tenants: Vec<TenantRoute>,
}

/// One tenant's destinations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRoute {
    /// The tenant id.
    pub tenant: String,
    /// Its destinations.
    pub destinations: Vec<String>,
}

/// The admin endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Listen address; `/metrics`, `/healthz`, `/readyz`.
    #[serde(default = "admin_address")]
    pub address: SocketAddr,
    /// Most distinct tenant label values in metrics; the rest are counted as `other`.
    #[serde(default = "tenant_label_cap")]
    pub tenant_label_cap: usize,
    /// How long shutdown waits for queues to drain.
    #[serde(default = "shutdown_timeout_ms")]
    pub shutdown_timeout_ms: u64,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            address: admin_address(),
            tenant_label_cap: tenant_label_cap(),
            shutdown_timeout_ms: shutdown_timeout_ms(),
        }
    }
}

fn admin_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8888))
}

fn tenant_label_cap() -> usize {
    100
}

fn shutdown_timeout_ms() -> u64 {
    10_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigError, load_str};
    use std::path::Path;

    /// Every problem of a config whose only destination is `destination` (TOML lines) and
    /// whose receivers are `receivers` (TOML tables).
    fn problems(receivers: &str, destination: &str) -> Vec<String> {
        let text = format!("{receivers}\n[[destinations]]\nname = \"d\"\n{destination}\n");
        match load_str(&text, "t.toml", Path::new(".")) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn connection_limits_default_and_are_read_per_receiver() {
        let config: crate::config::Config = toml::from_str(
            "[[receivers]]\ntype = \"otlp_http\"\nheader_read_timeout_ms = 300\nmax_connections = 7\n\
             [[receivers]]\ntype = \"otlp_grpc\"\n[[receivers]]\ntype = \"file\"\npath = \"-\"\n",
        )
        .unwrap();
        let http = config.receivers[0].limits().unwrap();
        assert_eq!(
            (http.header_read_timeout_ms, http.max_connections),
            (300, 7)
        );
        assert_eq!(http.body_read_timeout_ms, 30_000);
        assert_eq!(
            config.receivers[1].limits(),
            Some(ConnectionLimits::default())
        );
        assert_eq!(config.receivers[2].limits(), None);
        let d: DestinationConfig = toml::from_str("name = \"d\"\ntype = \"discard\"\n").unwrap();
        assert_eq!(d.queue.max_bytes, 32 << 20);
    }

    #[test]
    fn connection_limits_are_validated() {
        let p = problems(
            "[[receivers]]\ntype = \"otlp_http\"\nheader_read_timeout_ms = 0\nbody_read_timeout_ms = 3600001\nidle_timeout_ms = 0\nmax_connections = 0\nmax_concurrent_streams = 0\nkeepalive_interval_ms = 3600001\nkeepalive_timeout_ms = 0\n",
            "type = \"discard\"",
        );
        for field in [
            "receivers[0].header_read_timeout_ms: 0 is outside 1..=3600000",
            "receivers[0].body_read_timeout_ms: 3600001 is outside",
            "receivers[0].idle_timeout_ms: 0 is outside",
            "receivers[0].max_connections: 0 is outside 1..=1000000",
            "receivers[0].max_concurrent_streams: must be at least 1",
            "receivers[0].keepalive_interval_ms: 3600001 is more than 3600000",
            "receivers[0].keepalive_timeout_ms: 0 is outside",
        ] {
            assert!(p.iter().any(|m| m.contains(field)), "{field}: {p:#?}");
        }
        assert_eq!(p.len(), 7, "{p:#?}");
    }

    #[test]
    fn client_certificates_come_in_pairs_on_https_otlp_destinations() {
        let https = "type = \"otlp_grpc\"\nendpoint = \"https://collector:4317\"";
        assert!(
            problems(
                "",
                &format!("{https}\nclient_cert = \"c.pem\"\nclient_key = \"c.key\"")
            )
            .is_empty()
        );
        assert_eq!(
            problems("", &format!("{https}\nclient_cert = \"c.pem\"")),
            [
                "destinations[0].client_key: missing: `client_cert` needs its private key in `client_key`"
            ]
        );
        assert_eq!(
            problems("", &format!("{https}\nclient_key = \"c.key\"")),
            [
                "destinations[0].client_cert: missing: `client_key` needs its certificate in `client_cert`"
            ]
        );
        assert_eq!(
            problems(
                "",
                "type = \"otlp_http\"\nendpoint = \"http://collector:4318\"\nclient_cert = \"c.pem\"\nclient_key = \"c.key\""
            ),
            [
                "destinations[0].client_cert: a client certificate needs an https:// endpoint, not `http://collector:4318`"
            ]
        );
        assert_eq!(
            problems("", "type = \"discard\"\nclient_key = \"c.key\""),
            [
                "destinations[0].client_key: only OTLP destinations (`otlp_grpc`, `otlp_http`) present a client certificate"
            ]
        );
        assert_eq!(
            problems("", "type = \"discard\"\nqueue = { max_bytes = 0 }"),
            ["destinations[0].queue.max_bytes: must be more than 0"]
        );
    }
}
