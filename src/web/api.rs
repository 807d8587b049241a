//! The JSON API under `/api/v1/` (documented in docs/api.md): the same objects as the CLI's
//! `--json`, in pages with an opaque `next_cursor`, and errors as
//! `{"error": {"status", "message"}}` with the matching HTTP status.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::error::WebError;
use super::paging::{
    FilterParams, MAX_SEARCH_CHARS, encode_keyset, encode_offset, present, trim_page,
};
use crate::store::Keyset;

type ApiResult = Result<Json<Value>, WebError>;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/items", get(items))
        .route("/items/{id}", get(item))
        .route("/stories", get(stories))
        .route("/stories/{id}", get(story))
        .route("/search", get(search))
        .route("/feeds", get(feeds))
        .route("/tags", get(tags))
        .fallback(not_found)
}

/// Items matching the filters, newest first.
async fn items(State(app): State<Shared>, Query(params): Query<FilterParams>) -> ApiResult {
    let (filter, after, size) = (params.filter()?, params.keyset()?, params.page_size()?);
    let mut rows = app
        .db
        .read(move |store| Ok(store.items_page(&filter, after.as_ref(), size + 1)?))
        .await?;
    let more = trim_page(&mut rows, size);
    let next = rows.last().filter(|_| more).map(|last| {
        encode_keyset(&Keyset {
            at: last.published_at.clone(),
            id: last.id,
        })
    });
    Ok(Json(json!({ "items": rows, "next_cursor": next })))
}

/// One item whole: every stored field, its feeds and its tags with evidence (the JSONL export's
/// object), plus its story and judgement.
async fn item(State(app): State<Shared>, Path(id): Path<i64>) -> ApiResult {
    let (whole, row) = app
        .db
        .read(move |store| {
            let not_found = || WebError::NotFound(format!("no item with id {id}"));
            let whole = store.export_item(id)?.ok_or_else(not_found)?;
            let row = store.item(id)?.ok_or_else(not_found)?;
            Ok((whole, row))
        })
        .await?;
    let mut value = serde_json::to_value(&whole)
        .map_err(|err| WebError::Internal(format!("cannot write the item as JSON: {err}")))?;
    if let Some(object) = value.as_object_mut() {
        object.insert("story".into(), json!(row.story));
        object.insert("judgement".into(), json!(row.judgement));
    }
    Ok(Json(json!({ "item": value })))
}

/// Stories with an item matching the filters, latest report first.
async fn stories(State(app): State<Shared>, Query(params): Query<FilterParams>) -> ApiResult {
    let (filter, after, size) = (params.filter()?, params.keyset()?, params.page_size()?);
    let mut rows = app
        .db
        .read(move |store| Ok(store.stories_page(&filter, after.as_ref(), size + 1)?))
        .await?;
    let more = trim_page(&mut rows, size);
    let next = rows.last().filter(|_| more).map(|last| {
        encode_keyset(&Keyset {
            at: last.last_seen_at.clone(),
            id: last.id,
        })
    });
    Ok(Json(json!({ "stories": rows, "next_cursor": next })))
}

/// One story and its items, earliest report first.
async fn story(State(app): State<Shared>, Path(id): Path<i64>) -> ApiResult {
    let (story, items) = app
        .db
        .read(move |store| {
            let story = store
                .story(id)?
                .ok_or_else(|| WebError::NotFound(format!("no story with id {id}")))?;
            Ok((story, store.story_items(id)?))
        })
        .await?;
    Ok(Json(json!({ "story": story, "items": items })))
}

#[derive(Debug, Default, Deserialize)]
struct SearchParams {
    q: Option<String>,
    #[serde(flatten)]
    filter: FilterParams,
}

/// The CLI's Arabic-aware search, best match first.
async fn search(State(app): State<Shared>, Query(params): Query<SearchParams>) -> ApiResult {
    let query = present(&params.q)
        .ok_or_else(|| WebError::BadRequest("say what to search for: ?q=words".into()))?
        .to_owned();
    if query.chars().count() > MAX_SEARCH_CHARS {
        return Err(WebError::BadRequest(format!(
            "the search is longer than {MAX_SEARCH_CHARS} characters"
        )));
    }
    let (rows, more, offset) = super::pages::search_page(&app, &query, &params.filter).await?;
    let next = more.then(|| encode_offset(offset + rows.len()));
    Ok(Json(json!({ "items": rows, "next_cursor": next })))
}

/// Configured and stored feeds with their health, as `mirsad feeds --json`.
async fn feeds(State(app): State<Shared>) -> ApiResult {
    let stored = app.db.read(|store| Ok(store.feeds()?)).await?;
    let rows = crate::cli::merge_feeds(Some(&app.feeds), stored);
    Ok(Json(json!({ "feeds": rows })))
}

/// Tags in use with their number of items.
async fn tags(State(app): State<Shared>) -> ApiResult {
    let rows = app.db.read(|store| Ok(store.tag_counts()?)).await?;
    Ok(Json(json!({ "tags": rows })))
}

async fn not_found() -> Response {
    WebError::NotFound("no such API route: see docs/api.md".into()).into_response()
}
