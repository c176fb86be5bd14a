//! The admin endpoint: `/metrics` (Prometheus text), `/healthz` (the process is up) and
//! `/readyz` (receivers are listening and the pipeline takes work; 503 while shutting down)
//! and `/cost/top` (the most expensive LLM requests of the rolling window, JSON) and
//! `/plugins` (the running chain and the last reload, JSON; what `sluice plugins` prints).

use crate::metrics::Metrics;
use crate::reload::PluginStatus;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_util::sync::CancellationToken;

/// Whether sluice takes work; flipped by the server as it starts and stops.
#[derive(Debug, Default)]
pub struct Readiness(AtomicBool);

impl Readiness {
    /// Marks ready or not.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    /// Whether ready.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct AdminState {
    metrics: Arc<Metrics>,
    ready: Arc<Readiness>,
    plugins: Arc<PluginStatus>,
}

async fn metrics_text(State(s): State<AdminState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

async fn cost_top(State(s): State<AdminState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        s.metrics.spend().top_json(),
    )
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 while taking work, 503 otherwise; the body says why and carries the plugin chain's
/// generation and last reload (a refused reload leaves the running chain serving, so it does
/// not make sluice unready).
async fn readyz(State(s): State<AdminState>) -> impl IntoResponse {
    let ready = s.ready.get();
    let view = s.plugins.view();
    let body = serde_json::json!({
        "ready": ready,
        "plugin_chain": {
            "generation": view.generation,
            "stages": view.stages.iter().map(|st| st.stage.as_str()).collect::<Vec<_>>(),
            "last_reload": view.last_reload,
        },
    });
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
}

/// The running chain: order, name, version, file, sha256, loaded-at, calls, failures, p99.
async fn plugin_chain(State(s): State<AdminState>) -> impl IntoResponse {
    axum::Json(s.plugins.view())
}

/// Binds the admin address and serves until `shutdown`; returns the bound address.
pub async fn serve(
    address: SocketAddr,
    metrics: Arc<Metrics>,
    ready: Arc<Readiness>,
    plugins: Arc<PluginStatus>,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("admin: cannot listen on {address}: {e}"))
    })?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/cost/top", get(cost_top))
        .route("/plugins", get(plugin_chain))
        .with_state(AdminState {
            metrics,
            ready,
            plugins,
        });
    let handle = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!("admin endpoint stopped: {e}");
        }
    });
    Ok((bound, handle))
}
