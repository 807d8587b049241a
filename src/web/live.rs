//! Live feeds: `/feeds/{tag}.atom`, `.rss` and `.jsonl` (`?stories=1`: one entry per story),
//! written by the export code from the store at each request. The body depends only on the
//! store (the feed's `updated` is its newest change, not the time of the request), so its hash
//! is a strong ETag and feed readers that poll get a cheap 304.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Shared;
use super::error::WebError;
use crate::export::{self, FeedMeta, Format};
use crate::store::{ExportItem, ItemFilter};

#[derive(Debug, Default, Deserialize)]
pub struct LiveParams {
    stories: Option<String>,
}

pub async fn feed(
    State(app): State<Shared>,
    Path(file): Path<String>,
    Query(params): Query<LiveParams>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let not_found = || {
        WebError::NotFound(format!(
            "no live feed {file:?}: ask for /feeds/TAG.atom, .rss or .jsonl (TAG like ai-infra or chips)"
        ))
    };
    let (tag, extension) = file.rsplit_once('.').ok_or_else(not_found)?;
    let format = match extension {
        "atom" => Format::Atom,
        "rss" => Format::Rss,
        "jsonl" => Format::Jsonl,
        _ => return Err(not_found()),
    };
    let tag = crate::cli::parse_tag(tag).map_err(|_| not_found())?;
    let stories = matches!(params.stories.as_deref(), Some("1" | "true" | "yes"));
    let filter = ItemFilter {
        tag: Some(tag.clone()),
        limit: Some(export::DEFAULT_LIVE_FEED_LIMIT),
        ..ItemFilter::default()
    };
    let items = app
        .db
        .read(move |store| {
            if stories {
                export::story_entries(store, &filter)
                    .map_err(|err| WebError::Internal(err.to_string()))
            } else {
                Ok(store.export_items(&filter, None)?)
            }
        })
        .await?;
    let title = app
        .export
        .title
        .clone()
        .unwrap_or_else(|| export::DEFAULT_TITLE.to_owned());
    // `[export] public_url` names an export file, not this server: no rel="self" here.
    let self_url = None;
    let mut meta = FeedMeta::new(
        &title,
        self_url,
        &ItemFilter {
            tag: Some(tag),
            ..ItemFilter::default()
        },
    );
    let changed = last_change(&items);
    if let Some(changed) = &changed {
        meta.generated_at = changed.clone();
    }
    let mut body = Vec::new();
    export::write(format, &items, &meta, false, &mut body)
        .map_err(|err| WebError::Internal(err.to_string()))?;
    let etag = format!("\"{}\"", hex(&Sha256::digest(&body)[..16]));
    let last_modified = changed
        .as_deref()
        .and_then(crate::time::parse)
        .map(|at| httpdate::fmt_http_date(at.into()));
    let content_type = match format {
        Format::Atom => "application/atom+xml; charset=utf-8",
        Format::Rss => "application/rss+xml; charset=utf-8",
        _ => "application/x-ndjson; charset=utf-8",
    };
    let mut response = if not_modified(&headers, &etag, changed.as_deref()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    if let Some(value) = last_modified.and_then(|v| HeaderValue::from_str(&v).ok()) {
        out.insert(header::LAST_MODIFIED, value);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The newest change among the entries: an item's update or first sighting, or a tag written.
fn last_change(items: &[ExportItem]) -> Option<String> {
    items
        .iter()
        .flat_map(|item| {
            let seen = item
                .updated_at
                .iter()
                .chain(std::iter::once(&item.first_seen_at));
            seen.chain(item.tags.iter().map(|t| &t.tagged_at))
        })
        .max()
        .cloned()
}

/// `If-None-Match` decides when present; otherwise `If-Modified-Since` (to the second).
fn not_modified(headers: &HeaderMap, etag: &str, changed: Option<&str>) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*");
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    let changed = changed
        .and_then(crate::time::parse)
        .map(std::time::SystemTime::from);
    matches!((since, changed), (Some(since), Some(changed)) if changed <= since)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_and_dates_decide_304() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(not_modified(&headers, "\"b\"", None));
        assert!(!not_modified(
            &headers,
            "\"c\"",
            Some("2020-01-01T00:00:00Z")
        ));
        let mut dated = HeaderMap::new();
        dated.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Wed, 02 Dec 2026 07:00:00 GMT"),
        );
        assert!(not_modified(&dated, "\"x\"", Some("2026-12-02T07:00:00Z")));
        assert!(!not_modified(&dated, "\"x\"", Some("2026-12-02T07:00:01Z")));
        assert!(!not_modified(
            &HeaderMap::new(),
            "\"x\"",
            Some("2020-01-01T00:00:00Z")
        ));
    }
}
