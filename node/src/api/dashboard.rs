//! `GET /dashboard`: the regulator's dashboard (DESIGN §1, §9), one self-contained HTML page (no
//! external script, style or font) that polls `/v1/status`, `/v1/supervision/summary`,
//! `/v1/supervision/alerts` and `/v1/evidence` (the newest equivocation evidence) every 2 seconds
//! and renders them as tables.

use axum::http::header;
use axum::response::IntoResponse;

/// The page.
pub const DASHBOARD_HTML: &str = include_str!("dashboard.html");

pub(crate) async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // Only this page's own inline script and style, and fetches to this node.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
            ),
        ],
        DASHBOARD_HTML,
    )
}
