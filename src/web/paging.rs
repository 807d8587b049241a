//! Query parameters shared by pages and API: filters, page sizes and opaque cursors.
//!
//! A cursor is the keyset of the last row shown (its sort time and id), or for search, which is
//! ranked, the number of results already shown; either is base64url so clients treat it as
//! opaque.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::Deserialize;

use super::error::WebError;
use crate::store::{ItemFilter, Keyset};

/// Rows per page when the request does not say.
pub const DEFAULT_PAGE: usize = 30;
/// The most rows one request may ask for.
pub const MAX_PAGE: usize = 200;
/// The longest search query, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Search pages reach this many results deep at most (ranked results cannot use a keyset).
pub const MAX_SEARCH_DEPTH: usize = 1000;

/// Filters as query parameters: `tag` (ai-infra, ai-infra/chips or chips), `feed` (URL or
/// name), `since` and `until` (7d, 12h, 2026-11-01), `limit`, `cursor`.
#[derive(Debug, Default, Deserialize)]
pub struct FilterParams {
    pub tag: Option<String>,
    pub feed: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

impl FilterParams {
    /// The store filter; empty parameters (as an HTML form sends them) count as absent.
    pub fn filter(&self) -> Result<ItemFilter, WebError> {
        let now = Utc::now();
        let time = |text: &Option<String>, end_of_day: bool, name: &str| {
            present(text)
                .map(|t| {
                    crate::cli::parse_time(t, now, end_of_day)
                        .map_err(|err| WebError::BadRequest(format!("{name}: {err}")))
                })
                .transpose()
        };
        Ok(ItemFilter {
            feed: present(&self.feed).map(str::to_owned),
            tag: present(&self.tag)
                .map(|t| {
                    crate::cli::parse_tag(t).map_err(|err| WebError::BadRequest(err.to_string()))
                })
                .transpose()?,
            since: time(&self.since, false, "since")?,
            until: time(&self.until, true, "until")?,
            limit: None,
        })
    }

    /// The page size asked for, within [`MAX_PAGE`].
    pub fn page_size(&self) -> Result<usize, WebError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(n) => Err(WebError::BadRequest(format!(
                "limit {n} is out of range: ask for 1 to {MAX_PAGE} rows"
            ))),
        }
    }

    pub fn keyset(&self) -> Result<Option<Keyset>, WebError> {
        present(&self.cursor).map(decode_keyset).transpose()
    }

    pub fn offset(&self) -> Result<usize, WebError> {
        present(&self.cursor).map_or(Ok(0), decode_offset)
    }
}

/// A parameter that is there and not blank.
pub fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub fn encode_keyset(keyset: &Keyset) -> String {
    URL_SAFE_NO_PAD.encode(format!("k{}|{}", keyset.id, keyset.at))
}

pub fn encode_offset(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

fn decode(cursor: &str) -> Option<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

fn bad_cursor() -> WebError {
    WebError::BadRequest("the cursor is not one this server gave out".into())
}

fn decode_keyset(cursor: &str) -> Result<Keyset, WebError> {
    let text = decode(cursor).ok_or_else(bad_cursor)?;
    let (id, at) = text
        .strip_prefix('k')
        .and_then(|rest| rest.split_once('|'))
        .ok_or_else(bad_cursor)?;
    let id = id.parse().map_err(|_| bad_cursor())?;
    crate::time::parse(at).ok_or_else(bad_cursor)?;
    Ok(Keyset {
        at: at.to_owned(),
        id,
    })
}

fn decode_offset(cursor: &str) -> Result<usize, WebError> {
    decode(cursor)
        .as_deref()
        .and_then(|t| t.strip_prefix('o'))
        .and_then(|n| n.parse().ok())
        .filter(|n| *n <= MAX_SEARCH_DEPTH)
        .ok_or_else(bad_cursor)
}

/// Cuts one extra row fetched to learn whether there is a next page; returns whether there is.
pub fn trim_page<T>(rows: &mut Vec<T>, size: usize) -> bool {
    let more = rows.len() > size;
    rows.truncate(size);
    more
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let keyset = Keyset {
            at: "2026-11-28T18:19:56Z".into(),
            id: 42,
        };
        let params = FilterParams {
            cursor: Some(encode_keyset(&keyset)),
            ..FilterParams::default()
        };
        assert_eq!(params.keyset().unwrap(), Some(keyset));
        let offset = FilterParams {
            cursor: Some(encode_offset(60)),
            ..FilterParams::default()
        };
        assert_eq!(offset.offset().unwrap(), 60);
        for forged in ["x", "a3wxfA", &encode_offset(MAX_SEARCH_DEPTH + 1)] {
            let params = FilterParams {
                cursor: Some(forged.to_owned()),
                ..FilterParams::default()
            };
            assert!(
                params.keyset().is_err() && params.offset().is_err(),
                "{forged}"
            );
        }
    }

    #[test]
    fn blank_form_fields_are_no_filter_and_tags_take_short_names() {
        let params = FilterParams {
            tag: Some("chips".into()),
            feed: Some(" ".into()),
            since: Some(String::new()),
            ..FilterParams::default()
        };
        let filter = params.filter().unwrap();
        assert_eq!(filter.tag.as_deref(), Some("ai-infra/chips"));
        assert!(filter.feed.is_none() && filter.since.is_none());
        let bad = FilterParams {
            limit: Some(MAX_PAGE + 1),
            ..FilterParams::default()
        };
        assert!(bad.page_size().is_err());
    }
}
