//! The website side of the web channel: the widget's files (`static/`, embedded in the
//! binary so `verity serve` works from any directory), the demo shop page at `/`, and
//! the CORS policy that lets other origins embed the widget.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use sha2::{Digest, Sha256};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::error::ApiError;
use crate::demo::{DemoStory, STORIES};

/// The widget script, as served at `/static/widget.js`.
pub const WIDGET_JS: &str = include_str!("../../static/widget.js");
/// The widget's styles, as served at `/static/widget.css` (the script loads them).
pub const WIDGET_CSS: &str = include_str!("../../static/widget.css");
/// The demo shop page (a minijinja template, HTML auto-escaped).
const DEMO_PAGE: &str = include_str!("../../static/index.html");

/// An embedded file with its validator, computed once.
struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: String,
}

impl Asset {
    fn new(body: &'static str, content_type: &'static str) -> Self {
        let digest = Sha256::digest(body.as_bytes());
        Asset {
            body,
            content_type,
            etag: format!("\"{}\"", hex::encode(&digest[..12])),
        }
    }

    /// The file, or 304 when the browser already holds this version. Browsers keep it
    /// an hour without asking; after that the ETag makes the check cheap, so a new
    /// release reaches every embedding page within the hour.
    fn serve(&self, headers: &HeaderMap) -> Response {
        let fresh = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == self.etag));
        let common = [
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ];
        if fresh {
            return (
                StatusCode::NOT_MODIFIED,
                common,
                [(header::ETAG, &self.etag)],
            )
                .into_response();
        }
        (
            common,
            [
                (header::CONTENT_TYPE, self.content_type),
                (header::ETAG, self.etag.as_str()),
            ],
            self.body,
        )
            .into_response()
    }
}

static JS: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(WIDGET_JS, "text/javascript; charset=utf-8"));
static CSS: LazyLock<Asset> = LazyLock::new(|| Asset::new(WIDGET_CSS, "text/css; charset=utf-8"));

/// `GET /static/widget.js`
pub async fn widget_js(headers: HeaderMap) -> Response {
    JS.serve(&headers)
}

/// `GET /favicon.ico`: Verity's icon (an SVG; browsers take it at this address too).
pub async fn favicon(headers: HeaderMap) -> Response {
    FAVICON.serve(&headers)
}

static FAVICON: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_str!("../../static/favicon.svg"), "image/svg+xml"));

/// `GET /static/widget.css`
pub async fn widget_css(headers: HeaderMap) -> Response {
    CSS.serve(&headers)
}

static PAGES: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("index.html", DEMO_PAGE)
        .map_err(|e| format!("template index.html: {e}"))?;
    Ok(env)
});

/// The demo shop page: the widget, and the demo stories to try (taken from the demo
/// data's own list, so the numbers stay true).
pub fn render_demo_page() -> Result<String, String> {
    render_page(STORIES)
}

fn render_page(stories: &[DemoStory]) -> Result<String, String> {
    let env = PAGES.as_ref().map_err(Clone::clone)?;
    env.get_template("index.html")
        .and_then(|t| t.render(context! { stories => stories }))
        .map_err(|e| format!("template index.html: {e:#}"))
}

/// The Content-Security-Policy of the pages with the widget (the demo page, the order
/// page): their scripts, styles, images and requests come from this server only (the
/// page's own styles are inline), it may not be framed, and no plugin, base URL or
/// foreign form target is allowed.
pub const WIDGET_PAGE_CSP: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `GET /`: the demo shop page with the widget.
pub async fn demo_page() -> Result<Response, ApiError> {
    let html = render_demo_page().map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, WIDGET_PAGE_CSP),
        ],
        Html(html),
    )
        .into_response())
}

/// The CORS policy of the chat API: none (same origin only) unless origins are
/// configured. Sessions are authorized by bearer tokens, never cookies, so no
/// credentials are allowed.
pub fn chat_cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_page_lists_every_story_and_embeds_the_widget() {
        let html = render_demo_page().expect("renders");
        for s in STORIES {
            assert!(html.contains(s.order_number), "{}", s.key);
            assert!(html.contains(s.postcode), "{}", s.key);
        }
        assert!(html.contains("/static/widget.js"));
        assert!(html.contains("lang=\"de\""));
    }

    #[test]
    fn story_texts_are_escaped() {
        let evil = DemoStory {
            title_de: "<script>alert(1)</script> & mehr",
            try_de: Some("<img src=x onerror=alert(1)>"),
            ..STORIES[0].clone()
        };
        let html = render_page(&[evil]).expect("renders");
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; mehr"),
            "{html}"
        );
    }
}
