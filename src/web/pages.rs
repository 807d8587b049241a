//! The pages a person reads: home (AI-infrastructure stories of the last days), search, one
//! item (with its evidence and the judgement buttons), one story (every outlet's report on a
//! timeline) and the feeds' health. Arabic first (`lang="ar" dir="rtl"`), system fonts, no
//! JavaScript; every feed text goes through maud's escaping and is isolated in `<bdi>`.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use super::Shared;
use super::error::WebError;
use super::highlight::{clean, marked, phrase_ranges, query_ranges};
use super::paging::{
    FilterParams, MAX_SEARCH_CHARS, MAX_SEARCH_DEPTH, encode_keyset, encode_offset, present,
    trim_page,
};
use crate::retag::{Verdict, record_judgement};
use crate::store::{ExportItem, FeedRow, FeedStatus, ItemRow, Keyset, StoryRow};
use crate::tagger::{SUBTOPICS, UMBRELLA};

/// Days of stories the home page shows when not asked.
const HOME_DAYS: u32 = 3;

/// A page's HTML, or the error page.
type PageResult = Result<Html<String>, PageError>;

/// An error shown as a page (the API answers JSON instead).
pub struct PageError(WebError);

impl From<WebError> for PageError {
    fn from(err: WebError) -> PageError {
        PageError(err)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let body = layout(
            "خطأ",
            html! {
                h1 { "تعذّر عرض الصفحة" }
                p.error lang="en" dir="ltr" { (status.as_u16()) " — " (self.0.public_message()) }
                p { a href="/" { "العودة إلى الرئيسية" } }
            },
        );
        (status, Html(body.into_string())).into_response()
    }
}

/// Arabic names of the tags, for people.
pub fn tag_label(tag: &str) -> &str {
    match tag {
        "ai-infra" => "البنية التحتية للذكاء الاصطناعي",
        "ai-infra/datacenters" => "مراكز البيانات",
        "ai-infra/chips" => "الرقاقات",
        "ai-infra/compute" => "الحوسبة",
        "ai-infra/energy" => "الطاقة",
        "ai-infra/cloud" => "السحابة",
        "ai-infra/investment" => "الاستثمار",
        other => other,
    }
}

fn all_tags() -> impl Iterator<Item = &'static str> {
    std::iter::once(UMBRELLA).chain(SUBTOPICS.iter().copied())
}

/// "2026-11-28T18:19:56Z" as "2026-11-28 18:19".
fn short_time(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}

/// A link only when it is http(s): a feed's `javascript:` or `data:` URL never becomes one.
fn safe_link(url: Option<&str>) -> Option<String> {
    let parsed = url::Url::parse(url?).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        serializer.append_pair(key, value);
    }
    serializer.finish()
}

pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ar" dir="rtl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — مرصاد" }
                link rel="stylesheet" href="/static/mirsad.css";
            }
            body {
                header {
                    nav {
                        a.brand href="/" { "مرصاد" }
                        a href="/" { "الأخبار" }
                        a href="/search" { "بحث" }
                        a href="/feeds" { "المصادر" }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn tag_chips(tags: &[String]) -> Markup {
    html! {
        @for tag in tags {
            a.tag href={ "/?" (query_string(&[("tag", tag)])) } { (tag_label(tag)) }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct HomeParams {
    tag: Option<String>,
    feed: Option<String>,
    days: Option<u32>,
    date: Option<String>,
    cursor: Option<String>,
}

struct Home {
    stories: Vec<StoryRow>,
    more: bool,
    feeds: Vec<FeedRow>,
}

/// Stories with an item tagged (by default) `ai-infra` in the last days, latest first.
pub async fn home(State(app): State<Shared>, Query(params): Query<HomeParams>) -> PageResult {
    let days = params.days.unwrap_or(HOME_DAYS).clamp(1, 3650);
    let date = present(&params.date).map(str::to_owned);
    let filter = FilterParams {
        tag: Some(present(&params.tag).unwrap_or(UMBRELLA).to_owned()),
        feed: params.feed.clone(),
        since: Some(date.clone().unwrap_or_else(|| format!("{days}d"))),
        until: date.clone(),
        limit: None,
        cursor: params.cursor.clone(),
    };
    let after = filter.keyset()?;
    let item_filter = filter.filter()?;
    let size = super::paging::DEFAULT_PAGE;
    let home = app
        .db
        .read(move |store| {
            let mut stories = store.stories_page(&item_filter, after.as_ref(), size + 1)?;
            let more = trim_page(&mut stories, size);
            Ok(Home {
                stories,
                more,
                feeds: store.feeds()?,
            })
        })
        .await?;
    let tag = filter.tag.clone().unwrap_or_default();
    let tag = crate::cli::parse_tag(&tag).unwrap_or_else(|_| UMBRELLA.to_owned());
    let feed = present(&params.feed).unwrap_or("").to_owned();
    let next = home.stories.last().filter(|_| home.more).map(|last| {
        let cursor = encode_keyset(&Keyset {
            at: last.last_seen_at.clone(),
            id: last.id,
        });
        let days = days.to_string();
        query_string(&[
            ("tag", &tag),
            ("feed", &feed),
            ("days", if date.is_some() { "" } else { &days }),
            ("date", date.as_deref().unwrap_or("")),
            ("cursor", &cursor),
        ])
    });
    let body = html! {
        h1 { (tag_label(&tag)) }
        form.filters method="get" action="/" {
            label { "الموضوع "
                select name="tag" {
                    @for t in all_tags() {
                        option value=(t) selected[t == tag] { (tag_label(t)) }
                    }
                }
            }
            label { "المصدر "
                select name="feed" {
                    option value="" { "كل المصادر" }
                    @for f in &home.feeds {
                        option value=(f.url) selected[f.url == feed] {
                            (clean(f.name.as_deref().or(f.title.as_deref()).unwrap_or(&f.url)))
                        }
                    }
                }
            }
            label { "آخر " input type="number" name="days" min="1" max="3650" value=(days); " أيام" }
            label { "أو يوم " input type="date" name="date" value=(date.as_deref().unwrap_or("")); }
            button type="submit" { "اعرض" }
        }
        @if home.stories.is_empty() {
            p.empty { "لا قصص في هذه الفترة." }
        }
        ol.stories {
            @for story in &home.stories {
                li.story {
                    a.title href={ "/story/" (story.id) } { bdi { (clean(&story.title)) } }
                    div.meta {
                        span.outlets { (story.outlets.len()) " مصادر" }
                        " · " span { (story.items) " تقارير" }
                        " · " span { "أول ظهور " time datetime=(story.first_seen_at) { (short_time(&story.first_seen_at)) } }
                        " · " span { "آخر ظهور " time datetime=(story.last_seen_at) { (short_time(&story.last_seen_at)) } }
                    }
                    div.tags { (tag_chips(&story.tags)) }
                }
            }
        }
        @if let Some(next) = next {
            p.paging { a rel="next" href={ "/?" (next) } { "الأقدم ←" } }
        }
    };
    Ok(Html(layout(tag_label(&tag), body).into_string()))
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    #[serde(flatten)]
    filter: FilterParams,
}

/// The CLI's Arabic-aware search, with the matched words marked in each title.
pub async fn search(State(app): State<Shared>, Query(params): Query<SearchParams>) -> PageResult {
    let query = present(&params.q).unwrap_or("").to_owned();
    if query.chars().count() > MAX_SEARCH_CHARS {
        return Err(WebError::BadRequest(format!(
            "the search is longer than {MAX_SEARCH_CHARS} characters"
        ))
        .into());
    }
    let (items, more, offset) = if query.is_empty() {
        (Vec::new(), false, 0)
    } else {
        search_page(&app, &query, &params.filter).await?
    };
    let size = params.filter.page_size()?;
    let next =
        more.then(|| query_string(&[("q", &query), ("cursor", &encode_offset(offset + size))]));
    let body = html! {
        h1 { "بحث" }
        form.search method="get" action="/search" role="search" {
            input type="search" name="q" value=(query) maxlength=(MAX_SEARCH_CHARS)
                placeholder="مراكز البيانات، رقاقات إنفيديا…" autofocus;
            button type="submit" { "ابحث" }
        }
        @if !query.is_empty() && items.is_empty() {
            p.empty { "لا نتائج." }
        }
        ol.items {
            @for item in &items {
                (item_line(item, Some(&query)))
            }
        }
        @if let Some(next) = next {
            p.paging { a rel="next" href={ "/search?" (next) } { "المزيد ←" } }
        }
    };
    Ok(Html(layout("بحث", body).into_string()))
}

/// One page of search results after `filter`'s cursor (an offset); also whether there is more.
pub async fn search_page(
    app: &Shared,
    query: &str,
    params: &FilterParams,
) -> Result<(Vec<ItemRow>, bool, usize), WebError> {
    let offset = params.offset()?;
    let size = params.page_size()?;
    let mut filter = params.filter()?;
    filter.limit = Some((offset + size + 1).min(MAX_SEARCH_DEPTH + size + 1));
    let query = query.to_owned();
    let mut rows = app
        .db
        .read(move |store| Ok(store.search(&query, &filter)?))
        .await?;
    let mut rows: Vec<ItemRow> = rows.drain(..).skip(offset).collect();
    let more = trim_page(&mut rows, size) && offset + size < MAX_SEARCH_DEPTH;
    Ok((rows, more, offset))
}

fn item_line(item: &ItemRow, query: Option<&str>) -> Markup {
    let title = clean(&item.title);
    let ranges = query.map(|q| query_ranges(&title, q)).unwrap_or_default();
    html! {
        li.item {
            a.title href={ "/item/" (item.id) } { bdi { (marked(&title, ranges)) } }
            div.meta {
                time datetime=(item.published_at) { (short_time(&item.published_at)) }
                @for name in &item.feed_names { " · " bdi { (clean(name)) } }
            }
            div.tags { (tag_chips(&item.tags)) }
        }
    }
}

struct ItemPage {
    item: ExportItem,
    row: ItemRow,
    others: Vec<ItemRow>,
}

/// One item: its text with the evidence marked, its feeds, its tags and why, the other
/// reports of its story, and the judgement buttons.
pub async fn item(State(app): State<Shared>, Path(id): Path<i64>) -> PageResult {
    let page = app
        .db
        .read(move |store| {
            let not_found = || WebError::NotFound(format!("no item with id {id}"));
            let item = store.export_item(id)?.ok_or_else(not_found)?;
            let row = store.item(id)?.ok_or_else(not_found)?;
            let others = match row.story {
                Some(story) => store.story_items(story)?,
                None => Vec::new(),
            };
            Ok(ItemPage { item, row, others })
        })
        .await?;
    let item = &page.item;
    let evidence: Vec<String> = item
        .tags
        .iter()
        .flat_map(|t| evidence_list(&t.evidence))
        .map(|e| e.matched)
        .collect();
    let title = clean(&item.title);
    let summary = clean(&item.summary);
    let title_marks = phrase_ranges(&title, evidence.iter().map(String::as_str));
    let summary_marks = phrase_ranges(&summary, evidence.iter().map(String::as_str));
    let csrf = app.guard.csrf_token();
    let judged = page.row.judgement.is_some();
    let action = format!("/item/{}/judgement", item.id);
    let body = html! {
        article.item {
            h1 { bdi { (marked(&title, title_marks)) } }
            div.meta {
                time datetime=(item.published_at) { (short_time(&item.published_at)) }
                @for feed in &item.feeds { " · " bdi { (clean(feed.display_name())) } }
            }
            p.summary { bdi { (marked(&summary, summary_marks)) } }
            @if let Some(link) = safe_link(item.url.as_deref()) {
                p { a.source href=(link) rel="noopener noreferrer nofollow" { "اقرأ في المصدر" } }
            }
        }
        section.tags {
            h2 { "الوسوم" @if judged { " " small { "(عدّلها المحلل)" } } }
            @if item.tags.is_empty() { p.empty { "لا وسوم." } }
            ul {
                @for tag in &item.tags {
                    li {
                        strong { (tag_label(&tag.tag)) } " "
                        span.code dir="ltr" { (tag.tag) } " "
                        @if tag.origin == "hand" { span.hand { "يدوي" } } @else {
                            span.score dir="ltr" { (format!("{:.2}", tag.score)) }
                        }
                        form.inline method="post" action=(action) {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="tag" value=(tag.tag);
                            button type="submit" name="action" value="remove" { "هذا الوسم خطأ" }
                        }
                        ul.evidence {
                            @for e in evidence_list(&tag.evidence) {
                                li {
                                    mark { bdi { (clean(&e.matched)) } }
                                    " — " span.code dir="ltr" { (e.rule) }
                                    " (" (if e.field == "title" { "العنوان" } else { "النص" }) ")"
                                    @if let Some(context) = &e.context {
                                        " بسياق " bdi { (clean(context)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div.judge {
                form.inline method="post" action=(action) {
                    input type="hidden" name="csrf" value=(csrf);
                    select name="tag" {
                        @for t in all_tags() { option value=(t) { (tag_label(t)) } }
                    }
                    button type="submit" name="action" value="add" { "أضف الوسم" }
                }
                form.inline method="post" action=(action) {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" name="action" value="not" { "ليس عن البنية التحتية للذكاء الاصطناعي" }
                }
                @if judged {
                    form.inline method="post" action=(action) {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" name="action" value="clear" { "ألغِ التعديل اليدوي" }
                    }
                }
            }
        }
        @if page.others.len() > 1 {
            section.story {
                h2 { a href={ "/story/" (page.row.story.unwrap_or_default()) } { "تقارير أخرى عن الحدث نفسه" } }
                ol.items {
                    @for other in page.others.iter().filter(|o| o.id != item.id) {
                        (item_line(other, None))
                    }
                }
            }
        }
    };
    Ok(Html(layout(&title, body).into_string()))
}

/// One piece of evidence as the page shows it.
struct Evidence {
    rule: String,
    matched: String,
    field: String,
    context: Option<String>,
}

/// The stored evidence array, read leniently: it is JSON the tagger wrote, but a page must not
/// fail on an odd row.
fn evidence_list(value: &serde_json::Value) -> Vec<Evidence> {
    let text =
        |e: &serde_json::Value, key: &str| e.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    value
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    Some(Evidence {
                        rule: text(e, "rule").unwrap_or_default(),
                        matched: text(e, "matched")?,
                        field: text(e, "field").unwrap_or_default(),
                        context: text(e, "context"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct JudgementForm {
    csrf: String,
    action: String,
    tag: Option<String>,
}

/// Records the analyst's verdict from the item page's buttons, then shows the item again.
pub async fn judge(
    State(app): State<Shared>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<JudgementForm>,
) -> Result<Response, PageError> {
    app.guard.check_write(&headers, &form.csrf)?;
    let tag = || {
        present(&form.tag)
            .ok_or_else(|| WebError::BadRequest("which tag? the form sent none".into()))
            .and_then(|t| {
                crate::cli::parse_tag(t).map_err(|err| WebError::BadRequest(err.to_string()))
            })
    };
    let verdict = match form.action.as_str() {
        "add" => Verdict::Judge {
            add: vec![tag()?],
            remove: Vec::new(),
        },
        "remove" => Verdict::Judge {
            add: Vec::new(),
            remove: vec![tag()?],
        },
        "not" => Verdict::Judge {
            add: Vec::new(),
            remove: vec![UMBRELLA.to_owned()],
        },
        "clear" => Verdict::Clear,
        other => {
            return Err(WebError::BadRequest(format!(
                "unknown action {other:?}: add, remove, not or clear"
            ))
            .into());
        }
    };
    let shared = app.clone();
    app.db
        .write(move |store| Ok(record_judgement(store, &shared.tagger, id, &verdict)?))
        .await?;
    tracing::info!(item = id, action = %form.action, "judgement recorded from the web");
    Ok(Redirect::to(&format!("/item/{id}")).into_response())
}

/// Every outlet's report of one story, earliest first.
pub async fn story(State(app): State<Shared>, Path(id): Path<i64>) -> PageResult {
    let (story, items) = app
        .db
        .read(move |store| {
            let story = store
                .story(id)?
                .ok_or_else(|| WebError::NotFound(format!("no story with id {id}")))?;
            Ok((story, store.story_items(id)?))
        })
        .await?;
    let title = clean(&story.title);
    let body = html! {
        h1 { bdi { (title) } }
        div.meta {
            (story.outlets.len()) " مصادر · " (story.items) " تقارير · من "
            time datetime=(story.first_seen_at) { (short_time(&story.first_seen_at)) }
            " إلى " time datetime=(story.last_seen_at) { (short_time(&story.last_seen_at)) }
        }
        div.tags { (tag_chips(&story.tags)) }
        ol.timeline {
            @for item in &items {
                li {
                    time datetime=(item.published_at) { (short_time(&item.published_at)) }
                    " "
                    @for name in &item.feed_names { span.outlet { bdi { (clean(name)) } } " " }
                    a href={ "/item/" (item.id) } { bdi { (clean(&item.title)) } }
                }
            }
        }
    };
    Ok(Html(layout(&title, body).into_string()))
}

/// The feeds' health: failing feeds first, the last error in words.
pub async fn feeds(State(app): State<Shared>) -> PageResult {
    let stored = app.db.read(|store| Ok(store.feeds()?)).await?;
    let rows = failing_first(crate::cli::merge_feeds(Some(&app.feeds), stored));
    let body = html! {
        h1 { "المصادر" }
        table.feeds {
            thead { tr {
                th { "الحالة" } th { "المصدر" } th { "العناصر" } th { "آخر جلب" }
                th { "HTTP" } th { "أخطاء متتالية" } th { "آخر خطأ" }
            } }
            tbody {
                @for feed in &rows {
                    tr class=(feed.status.as_str()) {
                        td { (status_label(feed.status)) }
                        td {
                            bdi { (clean(feed.name.as_deref().or(feed.title.as_deref()).unwrap_or(""))) }
                            br; span.code dir="ltr" { (feed.url) }
                        }
                        td { (feed.items) }
                        td { (feed.last_fetch_at.as_deref().map(short_time).unwrap_or_else(|| "—".into())) }
                        td { (feed.last_status.map(|s| s.to_string()).unwrap_or_default()) }
                        td { (feed.error_count) }
                        td lang="en" dir="ltr" {
                            @if let Some(reason) = &feed.disabled_reason { "disabled: " (reason) }
                            @else if feed.error_count > 0 { (feed.last_error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    Ok(Html(layout("المصادر", body).into_string()))
}

/// Failing feeds first (most errors first), then the rest in their order.
fn failing_first(mut rows: Vec<FeedRow>) -> Vec<FeedRow> {
    rows.sort_by_key(|f| match f.status {
        FeedStatus::Error => (0, -f.error_count),
        FeedStatus::Never => (1, 0),
        FeedStatus::Ok => (2, 0),
        FeedStatus::Disabled => (3, 0),
        FeedStatus::Removed => (4, 0),
    });
    rows
}

fn status_label(status: FeedStatus) -> &'static str {
    match status {
        FeedStatus::Ok => "يعمل",
        FeedStatus::Error => "يفشل",
        FeedStatus::Disabled => "معطّل",
        FeedStatus::Never => "لم يُجلب بعد",
        FeedStatus::Removed => "أزيل من الإعدادات",
    }
}

/// The one stylesheet, compiled into the binary.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("mirsad.css"),
    )
        .into_response()
}

pub async fn not_found() -> Response {
    PageError(WebError::NotFound("no such page".into())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_become_links() {
        assert_eq!(
            safe_link(Some("https://aitnews.com/x?a=1")).as_deref(),
            Some("https://aitnews.com/x?a=1")
        );
        assert!(safe_link(Some("javascript:alert(1)")).is_none());
        assert!(safe_link(Some("data:text/html,<script>")).is_none());
        assert!(safe_link(Some("/relative")).is_none());
        assert!(safe_link(None).is_none());
    }

    #[test]
    fn a_hostile_title_renders_as_text() {
        let title = clean("<script>alert(1)</script><img src=x onerror=alert(1)>\u{202E}txt");
        let page = layout(&title, html! { h1 { bdi { (title) } } }).into_string();
        assert!(
            !page.contains("<script") && !page.contains("<img"),
            "{page}"
        );
        assert!(page.contains("&lt;script&gt;") && !page.contains('\u{202E}'));
        assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">"));
    }

    #[test]
    fn failing_feeds_come_first() {
        let feed = |url: &str, status, errors| FeedRow {
            id: 0,
            url: url.into(),
            fetch_url: None,
            name: None,
            title: None,
            site_link: None,
            status,
            last_fetch_at: None,
            next_fetch_at: None,
            last_status: None,
            error_count: errors,
            last_error: None,
            disabled_reason: None,
            items: 0,
        };
        let rows = failing_first(vec![
            feed("a", FeedStatus::Ok, 0),
            feed("b", FeedStatus::Error, 1),
            feed("c", FeedStatus::Error, 5),
        ]);
        let order: Vec<&str> = rows.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
    }
}
