//! Reading items back: the filters shared by `items`, `search` and `export`.

use rusqlite::types::Value;
use rusqlite::{Row, params_from_iter};
use serde::Serialize;

use super::judgements::Judgement;
use super::{Store, StoreError};

/// Filters common to every listing. Dates are stored-format timestamps (see crate::time).
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// A feed's configured URL, fetched URL or name.
    pub feed: Option<String>,
    pub tag: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<usize>,
}

/// One item as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub url: Option<String>,
    pub title: String,
    /// Configured URLs of the feeds the item appeared in.
    pub feeds: Vec<String>,
    pub published_at: String,
    pub first_seen_at: String,
    pub tags: Vec<String>,
    /// The story the item belongs to (see `stories`); absent while stories are off.
    pub story: Option<i64>,
    /// The analyst's verdicts on this item's tags (`mirsad label`), which `tags` already
    /// reflects; absent when nobody judged it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
    /// Display names of the feeds (name, else title, else URL), for human output.
    #[serde(skip)]
    pub feed_names: Vec<String>,
}

/// Separator for lists packed by `group_concat`: a control character never found in URLs or tags.
const LIST_SEP: &str = "\u{1f}";

pub(super) const SELECT_ITEMS: &str =
    "SELECT i.id, i.url, i.title, i.published_at, i.first_seen_at,
    (SELECT group_concat(f.url, char(31)) FROM item_feeds m JOIN feeds f ON f.id = m.feed_id
       WHERE m.item_id = i.id),
    (SELECT group_concat(coalesce(f.name, f.title, f.url), char(31)) FROM item_feeds m
       JOIN feeds f ON f.id = m.feed_id WHERE m.item_id = i.id),
    (SELECT group_concat(t.tag, char(31)) FROM
       (SELECT tag FROM item_tags WHERE item_id = i.id ORDER BY tag) t),
    i.story_id,
    (SELECT group_concat(j.verdict || ':' || j.tag, char(31)) FROM
       (SELECT verdict, tag FROM judgements WHERE item_id = i.id ORDER BY tag) j),
    (SELECT max(judged_at) FROM judgements WHERE item_id = i.id)
    FROM items i";

pub(super) fn split_list(packed: Option<String>) -> Vec<String> {
    packed
        .map(|p| p.split(LIST_SEP).map(str::to_owned).collect())
        .unwrap_or_default()
}

pub(super) fn item_row(row: &Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: row.get(0)?,
        url: row.get(1)?,
        title: row.get(2)?,
        published_at: row.get(3)?,
        first_seen_at: row.get(4)?,
        feeds: split_list(row.get(5)?),
        feed_names: split_list(row.get(6)?),
        tags: split_list(row.get(7)?),
        story: row.get(8)?,
        judgement: judgement_columns(split_list(row.get(9)?), row.get(10)?),
    })
}

/// A judgement from its packed `verdict:tag` list and time; `None` for an unjudged item.
fn judgement_columns(verdicts: Vec<String>, at: Option<String>) -> Option<Judgement> {
    let at = at?;
    let mut judgement = Judgement {
        at,
        ..Judgement::default()
    };
    for verdict in verdicts {
        match verdict.split_once(':') {
            Some(("add", tag)) => judgement.add.push(tag.to_owned()),
            Some((_, tag)) => judgement.remove.push(tag.to_owned()),
            None => {}
        }
    }
    Some(judgement)
}

/// Appends the filter's conditions to `sql` (which already has a WHERE clause) and its values.
pub(super) fn push_filter(filter: &ItemFilter, sql: &mut String, values: &mut Vec<Value>) {
    if let Some(feed) = &filter.feed {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM item_feeds m JOIN feeds f ON f.id = m.feed_id
               WHERE m.item_id = i.id AND (f.url = ? OR f.fetch_url = ? OR f.name = ?))",
        );
        values.extend(std::iter::repeat_n(Value::Text(feed.clone()), 3));
    }
    if let Some(tag) = &filter.tag {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id AND t.tag = ?)",
        );
        values.push(Value::Text(tag.clone()));
    }
    if let Some(since) = &filter.since {
        sql.push_str(" AND i.published_at >= ?");
        values.push(Value::Text(since.clone()));
    }
    if let Some(until) = &filter.until {
        sql.push_str(" AND i.published_at <= ?");
        values.push(Value::Text(until.clone()));
    }
}

pub(super) fn push_limit(filter: &ItemFilter, sql: &mut String, values: &mut Vec<Value>) {
    sql.push_str(" LIMIT ?");
    let limit = filter
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    values.push(Value::Integer(limit));
}

/// At most this many distinct words of a query count: every word is required, so more only
/// narrow a search nobody types, while each costs FTS5 a pass over its postings.
pub const MAX_QUERY_TERMS: usize = 32;
/// A query longer than this (in bytes) is cut before it is analyzed.
const MAX_QUERY_BYTES: usize = 4096;

/// Builds an FTS5 query from a user's words: each normalized, stemmed word becomes a quoted
/// string, all required. Quoting means no user input is ever read as FTS5 syntax. A repeated
/// word counts once, and only the first [`MAX_QUERY_TERMS`] terms count (a 40 KB query of one
/// word repeated took 74 s).
///
/// Words that name an entity of the knowledge base (crate::entities) become a group of every
/// spelling of that entity, so `Nvidia`, `إنفيديا` and `نيفيديا` find the same items.
pub fn fts_query(query: &str) -> Option<String> {
    let mut end = query.len().min(MAX_QUERY_BYTES);
    while !query.is_char_boundary(end) {
        end -= 1;
    }
    let normalized = crate::arabic::normalize(query.get(..end).unwrap_or_default());
    let words: Vec<&str> = crate::arabic::tokens(&normalized).collect();
    let entities = crate::entities::builtin();
    let mut parts: Vec<String> = Vec::new();
    let mut at = 0;
    while let Some(rest) = words.get(at..).filter(|rest| !rest.is_empty()) {
        if parts.len() == MAX_QUERY_TERMS {
            break;
        }
        let part = if let Some(found) = entities.at(rest) {
            at += found.len;
            any_spelling(found.entity)
        } else {
            at += 1;
            let word = rest.first().copied().unwrap_or_default();
            quoted(&[crate::arabic::stem(word)])
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// One-letter clitics the stemmer leaves on a word (it strips و and the article itself), so a
/// name is also found as written after them in the index: `لإنفيديا`, `وبمايكروسوفت`.
const SEARCH_CLITICS: [&str; 7] = ["", "ب", "ل", "ف", "ك", "وب", "ول"];

/// An FTS5 group matching any spelling of `entity`, each as a phrase of stemmed words, also
/// behind a one-letter clitic.
fn any_spelling(entity: &crate::entities::Entity) -> String {
    let mut phrases: Vec<String> = Vec::new();
    for form in entity.forms() {
        let Some((first, rest)) = form.split_first() else {
            continue;
        };
        for clitic in SEARCH_CLITICS {
            let first = format!("{clitic}{first}");
            let mut stems = vec![crate::arabic::stem(&first)];
            stems.extend(rest.iter().map(|w| crate::arabic::stem(w)));
            let phrase = quoted(&stems);
            if !phrases.contains(&phrase) {
                phrases.push(phrase);
            }
        }
    }
    format!("({})", phrases.join(" OR "))
}

/// Words as one quoted FTS5 string (a phrase when there are several).
fn quoted(words: &[&str]) -> String {
    format!("\"{}\"", words.join(" ").replace('"', "\"\""))
}

impl Store {
    /// One item by id, as `items` lists it.
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("{SELECT_ITEMS} WHERE i.id = ?1"))?;
        let mut rows = stmt.query_map([id], item_row)?;
        Ok(rows.next().transpose()?)
    }

    /// Items matching `filter`, newest first.
    pub fn items(&self, filter: &ItemFilter) -> Result<Vec<ItemRow>, StoreError> {
        let mut sql = format!("{SELECT_ITEMS} WHERE 1");
        let mut values = Vec::new();
        push_filter(filter, &mut sql, &mut values);
        sql.push_str(" ORDER BY i.published_at DESC, i.id DESC");
        push_limit(filter, &mut sql, &mut values);
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Full-text search: the query goes through the same normalizer and stemmer as the index.
    /// Ranked by bm25 (title words count double), then recency. A query with no words finds
    /// nothing rather than failing.
    pub fn search(&self, query: &str, filter: &ItemFilter) -> Result<Vec<ItemRow>, StoreError> {
        let Some(expression) = fts_query(query) else {
            return Ok(Vec::new());
        };
        // Rank and cut to the limit first, on ids alone, and only then read the listing columns
        // (feeds, tags) of the hits kept: a common word matches tens of thousands of items in a
        // large store. Without filters the ranking never touches the items table at all.
        let unfiltered = filter.feed.is_none()
            && filter.tag.is_none()
            && filter.since.is_none()
            && filter.until.is_none();
        let mut values = vec![Value::Text(expression)];
        let mut sql = if unfiltered {
            String::from(
                "WITH hits AS (SELECT rowid AS id, bm25(items_fts, 2.0, 1.0) AS rank
                   FROM items_fts WHERE items_fts MATCH ? ORDER BY rank, rowid DESC",
            )
        } else {
            let mut sql = String::from(
                "WITH hits AS (SELECT i.id, bm25(items_fts, 2.0, 1.0) AS rank
                   FROM items_fts JOIN items i ON i.id = items_fts.rowid
                   WHERE items_fts MATCH ?",
            );
            push_filter(filter, &mut sql, &mut values);
            sql.push_str(" ORDER BY rank, i.published_at DESC, i.id DESC");
            sql
        };
        push_limit(filter, &mut sql, &mut values);
        sql.push_str(&format!(
            ") {SELECT_ITEMS} JOIN hits ON hits.id = i.id
             ORDER BY hits.rank, i.published_at DESC, i.id DESC"
        ));
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), item_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_every_word_and_drops_syntax() {
        assert_eq!(
            fts_query("مراكز البيانات").unwrap(),
            "\"مراكز\" AND \"بيان\""
        );
        assert_eq!(
            fts_query("a\" OR b*").unwrap(),
            "\"a\" AND \"or\" AND \"b\""
        );
        assert_eq!(
            fts_query("NEAR(\"x\" ^y)").unwrap(),
            "\"near\" AND \"x\" AND \"y\""
        );
        assert!(fts_query("\"*()^:").is_none());
    }

    #[test]
    fn a_name_becomes_every_spelling_of_its_entity() {
        let latin = fts_query("Nvidia chips").unwrap();
        let arabic = fts_query("إنفيديا chips").unwrap();
        assert_eq!(latin, arabic);
        for spelling in ["\"nvidia\"", "\"انفيديا\"", "\"نيفيديا\"", "\"لانفيديا\""]
        {
            assert!(latin.contains(spelling), "{spelling} in {latin}");
        }
        assert!(latin.ends_with(") AND \"chips\""), "{latin}");
        // Several words of one name are one phrase per spelling.
        let openai = fts_query("OpenAI").unwrap();
        let phrase = crate::arabic::stemmed_tokens("أوبن إيه آي").join(" ");
        assert!(openai.contains(&format!("\"{phrase}\"")), "{openai}");
        assert!(openai.starts_with('(') && openai.ends_with(')'), "{openai}");
    }

    #[test]
    fn repeated_words_count_once_and_long_queries_are_capped() {
        let repeated = "بيانات ".repeat(6000);
        assert_eq!(fts_query(&repeated).unwrap(), "\"بيان\"");
        let many: String = (0..1000).map(|i| format!("w{i} ")).collect();
        let query = fts_query(&many).unwrap();
        assert_eq!(query.matches('"').count(), 2 * MAX_QUERY_TERMS);
        assert!(
            fts_query(&"ب".repeat(30_000)).is_some(),
            "a cut never splits a character"
        );
    }

    #[test]
    fn a_40_kb_query_answers_fast() {
        let store = Store::in_memory().unwrap();
        store
            .conn()
            .execute_batch(
                "INSERT INTO items_fts(rowid, title, body) VALUES (1, 'بيان', 'بيان مركز');",
            )
            .unwrap();
        let query = "البيانات ".repeat(40_000 / "البيانات ".len() + 1);
        let started = std::time::Instant::now();
        store.search(&query, &ItemFilter::default()).unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
