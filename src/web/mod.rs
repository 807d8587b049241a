//! The web face: server-rendered pages, a JSON API, live feeds, `/healthz` and `/metrics`,
//! served by axum on the daemon's own runtime (`mirsad run`) or alone (`mirsad serve`).
//!
//! ```text
//! request ─▶ guard (token, metrics, headers) ─▶ page / api / live / ops ─▶ Db (read-only
//!            connections on blocking threads, bounded in number and time) ─▶ store
//! ```
//!
//! Every text that came from a feed is hostile: pages are rendered by maud, which escapes all
//! it is given, links are only ever http(s), and a Content-Security-Policy allows nothing but
//! this origin (no scripts at all). Writes (judgements) go through [`crate::retag::
//! record_judgement`], exactly as `mirsad label` records them, and need a CSRF token.

mod api;
mod auth;
mod db;
mod error;
mod highlight;
mod live;
mod ops;
mod pages;
mod paging;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::config::{ExportConfig, FeedConfig};
use crate::store::StoreError;
use crate::tagger::Tagger;

pub use auth::{OpenToTheNetwork, check_listen};

/// Everything the server needs to know.
pub struct WebOptions {
    pub listen: SocketAddr,
    /// `[http] token`: required on every request but `/healthz` when set.
    pub token: Option<String>,
    pub database: PathBuf,
    /// The tagger that retags an item after a judgement (the daemon's taxonomy).
    pub tagger: Tagger,
    /// The configured feeds, shown on the feeds page beside the stored ones.
    pub feeds: Vec<FeedConfig>,
    /// `[export]`: titles and public URL of the live feeds.
    pub export: ExportConfig,
    /// How long without any fetch before `/healthz` says the daemon is stuck; `None` when
    /// nothing polls (`mirsad serve`).
    pub stale_after: Option<Duration>,
    /// The daemon's counters, under `mirsad run`: `/metrics` shows them beside the server's.
    pub daemon_metrics: Option<crate::metrics::DaemonMetrics>,
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    OpenToTheNetwork(#[from] OpenToTheNetwork),
    #[error("the web server cannot read the database: {0}")]
    Store(#[from] StoreError),
    #[error(
        "cannot listen on {addr}: {source} (another program on that port? set `listen` under [http], or \"\" to turn the web server off)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// What every handler shares.
pub(crate) struct App {
    db: Arc<db::Db>,
    guard: auth::Guard,
    tagger: Tagger,
    feeds: Vec<FeedConfig>,
    export: ExportConfig,
    stale_after: Option<Duration>,
    started: Instant,
    metrics: ops::Metrics,
}

type Shared = Arc<App>;

/// A bound server, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
}

/// Checks the access rule, opens the database for reading and binds the address. Call it
/// before anything else starts, so a refusal stops `mirsad run` at once with its reason.
pub async fn bind(options: WebOptions) -> Result<Server, StartError> {
    check_listen(options.listen, options.token.as_deref())?;
    let db = db::Db::open(options.database)?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: options.listen,
            source,
        })?;
    let app = Arc::new(App {
        db,
        guard: auth::Guard::new(options.token),
        tagger: options.tagger,
        feeds: options.feeds,
        export: options.export,
        stale_after: options.stale_after,
        started: Instant::now(),
        metrics: ops::Metrics::new(options.daemon_metrics.as_ref()),
    });
    Ok(Server {
        listener,
        router: router(app),
    })
}

impl Server {
    /// The address actually bound (port 0 picks a free one).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Ok(addr) = self.local_addr() {
            tracing::info!(address = %addr, "web pages at http://{addr}/");
        }
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

fn router(app: Shared) -> Router {
    let routes = Router::new()
        .route("/", get(pages::home))
        .route("/search", get(pages::search))
        .route("/item/{id}", get(pages::item))
        .route("/item/{id}/judgement", post(pages::judge))
        .route("/story/{id}", get(pages::story))
        .route("/feeds", get(pages::feeds))
        .route("/feeds/{*file}", get(live::feed))
        .route("/static/mirsad.css", get(pages::stylesheet))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .nest("/api/v1", api::routes())
        .route_layer(middleware::from_fn_with_state(app.clone(), guard));
    routes
        .fallback(pages::not_found)
        .layer(middleware::from_fn(security_headers))
        .with_state(app)
}

/// Longest query string accepted; anything longer is not a real search.
const MAX_QUERY: usize = 2048;

/// The access token (all but `/healthz`), the cap on query length, and the request count by
/// route and status.
async fn guard(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = if route != "/healthz" && !app.guard.authorized(request.headers()) {
        let mut response = error::WebError::Unauthorized.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mirsad\", charset=\"UTF-8\""),
        );
        response
    } else if request.uri().query().is_some_and(|q| q.len() > MAX_QUERY) {
        (StatusCode::URI_TOO_LONG, "the query is too long").into_response()
    } else {
        next.run(request).await
    };
    app.metrics.count_request(&route, response.status());
    response
}

/// What no page may do: load anything from elsewhere, run scripts, be framed, be sniffed as
/// another type, or tell outlets where the reader came from.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in set {
        headers.insert::<HeaderName>(name, HeaderValue::from_static(value));
    }
    response
}

impl IntoResponse for error::WebError {
    /// Errors as JSON; pages render their own (see `pages::error_page`).
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let body = serde_json::json!({
            "error": { "status": status.as_u16(), "message": self.public_message() }
        });
        (status, axum::Json(body)).into_response()
    }
}
