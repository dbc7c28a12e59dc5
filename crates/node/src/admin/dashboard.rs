//! The operator dashboard at `GET /`: one HTML page with its script and stylesheet compiled
//! into the binary (`include_str!`; no CDN, nothing fetched at run time but the node's own
//! admin endpoints). The page polls `/info`, `/quorum`, `/scp` and `/blocks` every second
//! and shows the height and block rate, the latest blocks with their sizes, the current
//! slot's phase per node, the quorum set as a graph with each validator's state, the pool
//! size, and an alert when the quorum slice is unsatisfied. Endpoints a node does not serve
//! are shown as unavailable, not as errors.
//!
//! Routes: `/` (the page), `/dashboard/app.js`, `/dashboard/style.css`.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// The page.
pub const INDEX_HTML: &str = include_str!("dashboard/index.html");
/// Its script.
pub const APP_JS: &str = include_str!("dashboard/app.js");
/// Its stylesheet.
pub const STYLE_CSS: &str = include_str!("dashboard/style.css");

/// Security headers for the page: scripts and styles from this origin only.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'";

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

/// The dashboard's routes, to merge into an admin router of any state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route(
            "/dashboard/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/dashboard/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_assets() {
        for (name, text) in
            [("index.html", INDEX_HTML), ("app.js", APP_JS), ("style.css", STYLE_CSS)]
        {
            let remote_loads = [
                "src=\"http",
                "href=\"http",
                "src=\"//",
                "href=\"//",
                "url(",
                "fetch(\"http",
                "@import",
            ];
            for remote in remote_loads {
                assert!(!text.contains(remote), "{name} refers to {remote}");
            }
        }
        assert!(INDEX_HTML.contains("src=\"/dashboard/app.js\""));
        assert!(INDEX_HTML.contains("href=\"/dashboard/style.css\""));
    }
}
