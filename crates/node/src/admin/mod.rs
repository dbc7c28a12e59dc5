//! The admin HTTP endpoint (axum): what an operator reads to watch a node, and the one thing
//! it may change at run time (the log level). Served on the admin address, which should stay
//! on loopback or a management network: it has no authentication.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the operator dashboard ([`dashboard`]; its assets under `/dashboard/`) |
//! | `GET /info` | [`NodeStatus`] as JSON |
//! | `GET /quorum` | [`QuorumView`]: quorum set and its health now |
//! | `GET /scp` | [`ScpStatus`]: latest statement of every node for the current slot |
//! | `GET /blocks?from=&limit=` | up to `limit` ([`blocks::DEFAULT_BLOCKS_PER_PAGE`], at most [`blocks::MAX_BLOCKS_PER_PAGE`]) [`BlockView`]s from `from` (default: the latest blocks) |
//! | `GET /blocks/{index}` | one [`BlockView`], 404 if absent |
//! | `GET /metrics` | Prometheus / OpenMetrics text ([`Metrics`]) |
//! | `GET /health` | 200 `{"status":"serving"}`, else 503 with the reason |
//! | `POST /log-level` | body: a tracing filter (e.g. `info,mcnode_node=debug`), applied through the runtime's callback |
//!
//! Bad input (a query parameter that is not a number, `limit` 0 or above the cap, an empty or
//! refused log filter) gets 400 with `{"error": "..."}`; a failing source gets 500 likewise.
//! Handlers read snapshots through [`StatusSource`], which the runtime implements; nothing
//! here touches the engine directly.

pub mod blocks;
pub mod dashboard;
pub mod metrics;
pub mod quorum;
pub mod status;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub use blocks::BlockView;
pub use metrics::Metrics;
pub use quorum::{QuorumHealth, QuorumView};
pub use status::{
    BallotView, ConnectionState, EnclaveStatus, Health, LastBlock, NodeStatus, NotServingReason,
    PeerStatus, QuorumSnapshot, ScpStatus, SlotPhase, SlotStatus, SourceError, StatementView,
    StatusSource, SyncStatus,
};

/// Longest log filter accepted by `POST /log-level`.
pub const MAX_LOG_FILTER_LEN: usize = 1024;

/// The runtime refused a log filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("log filter refused: {reason}")]
pub struct LogLevelError {
    /// Why (shown to the operator).
    pub reason: String,
}

/// Applies a tracing filter (the runtime's reload handle behind it).
pub type LogLevelHook = Arc<dyn Fn(&str) -> Result<(), LogLevelError> + Send + Sync>;

/// What the handlers share.
#[derive(Clone)]
pub struct AdminState {
    /// The node's snapshots.
    pub source: Arc<dyn StatusSource>,
    /// The node's metrics.
    pub metrics: Arc<Metrics>,
    /// Applies `POST /log-level`.
    pub log_level: LogLevelHook,
}

/// The admin router over `state`.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/info", get(info))
        .route("/quorum", get(quorum_view))
        .route("/scp", get(scp))
        .route("/blocks", get(blocks_page))
        .route("/blocks/{index}", get(one_block))
        .route("/metrics", get(metrics_text))
        .route("/health", get(health))
        .route("/log-level", post(log_level))
        .merge(dashboard::routes())
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

async fn info(State(s): State<AdminState>) -> Response {
    Json(s.source.node_status()).into_response()
}

async fn quorum_view(State(s): State<AdminState>) -> Response {
    Json(QuorumView::of(&s.source.quorum())).into_response()
}

async fn scp(State(s): State<AdminState>) -> Response {
    Json(s.source.scp()).into_response()
}

/// `/blocks` query parameters.
#[derive(Debug, Deserialize)]
struct Page {
    from: Option<u64>,
    limit: Option<u64>,
}

async fn blocks_page(
    State(s): State<AdminState>,
    q: Result<Query<Page>, QueryRejection>,
) -> Response {
    let Query(page) = match q {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let limit = page.limit.unwrap_or(blocks::DEFAULT_BLOCKS_PER_PAGE);
    if limit == 0 || limit > blocks::MAX_BLOCKS_PER_PAGE {
        return error(
            StatusCode::BAD_REQUEST,
            format!("limit must be 1..={}, got {limit}", blocks::MAX_BLOCKS_PER_PAGE),
        );
    }
    let from = match page.from {
        Some(f) => f,
        None => s.source.node_status().height.saturating_sub(limit),
    };
    match s.source.blocks(from, limit) {
        Ok(b) => Json(b.iter().map(BlockView::from).collect::<Vec<_>>()).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn one_block(State(s): State<AdminState>, p: Result<Path<u64>, PathRejection>) -> Response {
    let Path(index) = match p {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match s.source.blocks(index, 1) {
        Ok(b) => match b.first().filter(|d| d.block.index == index) {
            Some(d) => Json(BlockView::from(d)).into_response(),
            None => error(StatusCode::NOT_FOUND, format!("no block {index}")),
        },
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn metrics_text(State(s): State<AdminState>) -> Response {
    match s.metrics.encode() {
        Ok(text) => (
            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "metrics encoding failed"),
    }
}

async fn health(State(s): State<AdminState>) -> Response {
    let h = s.source.health();
    let code = match h {
        Health::Serving => StatusCode::OK,
        Health::NotServing(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    (code, Json(h)).into_response()
}

async fn log_level(State(s): State<AdminState>, body: String) -> Response {
    let filter = body.trim();
    if filter.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "empty log filter (send e.g. `info,mcnode_node=debug`)",
        );
    }
    if filter.len() > MAX_LOG_FILTER_LEN {
        return error(
            StatusCode::BAD_REQUEST,
            format!("log filter longer than {MAX_LOG_FILTER_LEN} bytes"),
        );
    }
    match (s.log_level)(filter) {
        Ok(()) => Json(serde_json::json!({ "log_level": filter })).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}
