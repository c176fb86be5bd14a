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
    },
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
    /// What a full queue does.
    #[serde(default)]
    pub on_full: OnFull,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: queue_capacity(),
            workers: queue_workers(),
            on_full: OnFull::default(),
        }
    }
}

fn queue_capacity() -> usize {
    1000
}

fn queue_workers() -> usize {
    2
}

/// Merging small payloads (one per client request) into larger export requests: a merged
/// request is sent when it holds `max_records` records or `timeout_ms` after its first part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// Records per export request at most (a larger payload is sent alone, unsplit).
    #[serde(default = "batch_max_records")]
    pub max_records: usize,
    /// How long the first part of a request waits for more; 0 sends every payload at once.
    #[serde(default = "batch_timeout_ms")]
    pub timeout_ms: u64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_records: batch_max_records(),
            timeout_ms: batch_timeout_ms(),
        }
    }
}

fn batch_max_records() -> usize {
    8192
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
