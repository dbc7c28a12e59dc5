//! A minimal admin HTTP endpoint on the admin address: `GET /info` (the [`NodeStatus`] as
//! JSON), `GET /health` (200 while serving, 503 otherwise) and the dashboard at `GET /`
//! ([`crate::admin::dashboard`]). `devnet up` reads `/info`.

use std::future::Future;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::peers::Peers;
use super::services::Services;
use super::status::NodeStatus;

#[derive(Clone)]
struct AdminState {
    services: Services,
    peers: Peers,
}

async fn info(State(s): State<AdminState>) -> Json<NodeStatus> {
    let mut st = s.services.status.borrow().clone();
    st.peers_refused = s.services.peers_refused.load(Ordering::Relaxed)
        + s.peers.handshakes_failed.load(Ordering::Relaxed);
    Json(st)
}

async fn health(State(s): State<AdminState>) -> StatusCode {
    if s.services.status.borrow().serving {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Serves until `stop` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    services: Services,
    peers: Peers,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let app = axum::Router::new()
        .route("/info", get(info))
        .route("/health", get(health))
        .merge(crate::admin::dashboard::routes())
        .with_state(AdminState { services, peers });
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
        tracing::error!(error = %e, "admin server failed");
    }
}
