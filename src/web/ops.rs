//! Operations: `/healthz` (200 when the store answers and the daemon fetched recently, 503 with
//! the reason otherwise) and `/metrics` (Prometheus text format, via prometheus-client).

use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::Shared;
use super::error::WebError;
use crate::store::StoreCounts;

type Labels = Vec<(&'static str, String)>;

/// The server's metrics: request counts it keeps, store figures it reads at each scrape.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    items: Gauge,
    tagged_items: Gauge,
    feeds: Gauge,
    feeds_failing: Gauge,
    store_bytes: Gauge,
    last_fetch: Gauge<f64, AtomicU64>,
}

impl Metrics {
    pub fn new(daemon: Option<&crate::metrics::DaemonMetrics>) -> Metrics {
        let mut registry = Registry::with_prefix("mirsad");
        if let Some(daemon) = daemon {
            daemon.register(&mut registry);
        }
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let items = gauge(&mut registry, "items", "Items in the store");
        let tagged_items = gauge(&mut registry, "tagged_items", "Items tagged ai-infra");
        let feeds = gauge(&mut registry, "feeds", "Feeds in the store");
        let feeds_failing = gauge(
            &mut registry,
            "feeds_failing",
            "Feeds whose last fetch failed (not counting disabled ones)",
        );
        let store_bytes = gauge(
            &mut registry,
            "store_size_bytes",
            "Size of the database file",
        );
        let last_fetch = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_fetch_timestamp_seconds",
            "When any feed was last fetched (Unix time; 0 when never)",
            last_fetch.clone(),
        );
        Metrics {
            registry,
            requests,
            items,
            tagged_items,
            feeds,
            feeds_failing,
            store_bytes,
            last_fetch,
        }
    }

    pub fn count_request(&self, route: &str, status: StatusCode) {
        self.requests
            .get_or_create(&vec![
                ("route", route.to_owned()),
                ("status", status.as_u16().to_string()),
            ])
            .inc();
    }

    fn set_store(&self, counts: &StoreCounts) {
        self.items.set(counts.items);
        self.tagged_items.set(counts.tagged_items);
        self.feeds.set(counts.feeds);
        self.feeds_failing.set(counts.feeds_failing);
        self.store_bytes.set(counts.size_bytes);
        let last = counts
            .last_fetch_at
            .as_deref()
            .and_then(crate::time::parse)
            .map_or(0.0, |at| at.timestamp() as f64);
        self.last_fetch.set(last);
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(app): State<Shared>) -> Result<Response, WebError> {
    let counts = app.db.read(|store| Ok(store.counts()?)).await?;
    app.metrics.set_store(&counts);
    let mut text = String::new();
    encode(&mut text, &app.metrics.registry)
        .map_err(|err| WebError::Internal(format!("cannot encode the metrics: {err}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// 200 "ok: …" when the store answers and (under `mirsad run`) a feed was fetched within the
/// allowed time; 503 with the reason otherwise.
pub async fn healthz(State(app): State<Shared>) -> Response {
    let counts = app.db.read(|store| Ok(store.counts()?)).await;
    let (status, text) = match counts {
        Err(err) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "unhealthy: the store does not answer: {}",
                err.public_message()
            ),
        ),
        Ok(counts) => freshness(&app, &counts),
    };
    let text = format!("{text}\n");
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn freshness(app: &Shared, counts: &StoreCounts) -> (StatusCode, String) {
    let Some(limit) = app.stale_after else {
        return (
            StatusCode::OK,
            format!(
                "ok: the store answers ({} items; not polling)",
                counts.items
            ),
        );
    };
    let last = counts.last_fetch_at.as_deref().and_then(crate::time::parse);
    let age = last.and_then(|at| (Utc::now() - at).to_std().ok());
    let within = |age: std::time::Duration| age <= limit;
    match (last, age) {
        (Some(at), Some(age)) if within(age) => (
            StatusCode::OK,
            format!(
                "ok: the store answers; last fetch {}",
                crate::time::format(at)
            ),
        ),
        // Clocks can disagree by a little; a fetch "in the future" is recent.
        (Some(at), None) => (
            StatusCode::OK,
            format!(
                "ok: the store answers; last fetch {}",
                crate::time::format(at)
            ),
        ),
        _ if app.started.elapsed() <= limit => (
            StatusCode::OK,
            "ok: the store answers; starting, no fetch yet".to_owned(),
        ),
        (Some(at), Some(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "unhealthy: no feed fetched since {} (more than {} ago): is the daemon stuck?",
                crate::time::format(at),
                humantime::format_duration(limit)
            ),
        ),
        (None, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "unhealthy: no feed fetched in the {} since start",
                humantime::format_duration(limit)
            ),
        ),
    }
}
