//! Item identity: what makes two entries the same item, within a feed and across feeds.
//!
//! Across feeds an item is its canonical link (or a guid that is itself a URL or URN); within
//! one feed, a real guid; failing both, a hash of its normalized title and date. The key is
//! stored in `items.identity` under a UNIQUE constraint, so the database enforces it too.

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};
use url::Url;

/// Query parameters that only track where a click came from. `utm_*` is matched as a prefix.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "cmpid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ref_src",
    "ref_url",
    "__twitter_impression",
    "s_cid",
    "ocid",
    "spm",
    "xtor",
];

/// Query parameters that select an AMP rendering of the same article.
const AMP_PARAMS: &[(&str, &str)] = &[
    ("amp", ""),
    ("amp", "1"),
    ("amp", "true"),
    ("outputtype", "amp"),
];

/// Characters that stay percent-encoded in a canonical path: controls, space and the URL
/// delimiters, and `\`, which a URL parser reads as `/` in http(s) paths. Everything else, Arabic letters included, is encoded one way only (upper-case
/// hex of its UTF-8 bytes), so a raw Arabic slug and its encoded form compare equal.
const PATH_ESCAPES: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'%')
    .add(b'/')
    .add(b'\\');

/// The canonical form of an absolute http(s) URL, or `None` when `raw` is not one.
///
/// Lower-cased scheme and host, no default port, no fragment, no tracking parameters, AMP
/// variants folded, one percent-encoding, no trailing slash, remaining parameters sorted.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    // `Url` already lower-cases scheme and host and drops default ports.
    let path = canonical_path(url.path());
    url.set_path(&path);
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, value)| keep_param(key, value))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    if params.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(params);
    }
    Some(url.into())
}

fn keep_param(key: &str, value: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str()) {
        return false;
    }
    let value = value.to_ascii_lowercase();
    !AMP_PARAMS.iter().any(|(k, v)| *k == key && *v == value)
}

/// Decodes and re-encodes each segment one way, folds an `/amp` last segment and the trailing
/// slash. Segments whose escapes are not UTF-8 keep their bytes, upper-cased.
fn canonical_path(path: &str) -> String {
    let mut segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            let bytes: Vec<u8> = percent_decode_str(segment).collect();
            match String::from_utf8(bytes) {
                Ok(text) => utf8_percent_encode(&text, PATH_ESCAPES).to_string(),
                Err(_) => upper_case_escapes(segment),
            }
        })
        .collect();
    while segments.len() > 1 && segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    if segments.len() > 1
        && segments
            .last()
            .is_some_and(|s| s.eq_ignore_ascii_case("amp"))
    {
        segments.pop();
    }
    while segments.len() > 1 && segments.last().is_some_and(|s| s.is_empty()) {
        segments.pop();
    }
    let joined = segments.join("/");
    if joined.is_empty() {
        "/".to_owned()
    } else {
        joined
    }
}

fn upper_case_escapes(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut chars = segment.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next_if(char::is_ascii_hexdigit) {
                    out.push(h.to_ascii_uppercase());
                }
            }
        }
    }
    out
}

/// What the identity of one entry is computed from.
#[derive(Debug, Clone, Copy)]
pub struct IdentityInput<'a> {
    pub link: Option<&'a str>,
    pub guid: Option<&'a str>,
    /// False when the same guid appears more than once in the document: then it is no real id.
    pub guid_is_unique: bool,
    pub feed_url: &'a str,
    /// Plain-text title and summary; normalized here only when the hash rule is reached.
    pub title: &'a str,
    /// The feed's own published (or updated) time, stored format.
    pub date: Option<&'a str>,
    pub summary: &'a str,
}

/// Which rule gave an item its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Link,
    GuidUrl,
    GuidUrn,
    FeedGuid,
    Hash,
}

impl IdentityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Link => "link",
            IdentityKind::GuidUrl => "guid-url",
            IdentityKind::GuidUrn => "guid-urn",
            IdentityKind::FeedGuid => "feed-guid",
            IdentityKind::Hash => "hash",
        }
    }
}

/// An item's identity key (stored in `items.identity`) and its canonical URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub key: String,
    pub canonical_url: Option<String>,
    pub kind: IdentityKind,
}

/// Applies the identity rules in order: canonical link, URL or URN guid, guid within the feed,
/// hash of normalized title and date.
pub fn identity_key(input: &IdentityInput<'_>) -> Identity {
    let canonical_link = input.link.and_then(canonical_url);
    if let Some(url) = canonical_link {
        return Identity {
            key: format!("url:{url}"),
            canonical_url: Some(url),
            kind: IdentityKind::Link,
        };
    }
    let guid = input
        .guid
        .map(str::trim)
        .filter(|g| !g.is_empty() && input.guid_is_unique);
    if let Some(guid) = guid {
        if let Some(url) = canonical_url(guid) {
            return Identity {
                key: format!("url:{url}"),
                canonical_url: Some(url),
                kind: IdentityKind::GuidUrl,
            };
        }
        if guid.len() > 4
            && guid
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        {
            return Identity {
                key: format!("urn:{}", guid.get(4..).unwrap_or_default()),
                canonical_url: None,
                kind: IdentityKind::GuidUrn,
            };
        }
        return Identity {
            key: format!("guid:{}\u{1f}{guid}", input.feed_url),
            canonical_url: None,
            kind: IdentityKind::FeedGuid,
        };
    }
    Identity {
        key: format!("hash:{}", content_hash(input)),
        canonical_url: None,
        kind: IdentityKind::Hash,
    }
}

/// Hash of normalized title and date; without a date, of title and summary; with neither
/// title nor summary, the feed URL joins in so empty entries of two feeds stay apart.
fn content_hash(input: &IdentityInput<'_>) -> String {
    let title = crate::arabic::normalize(input.title.trim());
    let summary = crate::arabic::normalize(input.summary.trim());
    let mut hasher = Sha256::new();
    hasher.update(title.trim().as_bytes());
    hasher.update([0x1f]);
    match input.date {
        Some(date) => hasher.update(date.as_bytes()),
        None => hasher.update(summary.trim().as_bytes()),
    }
    if title.trim().is_empty() && summary.trim().is_empty() {
        hasher.update([0x1f]);
        hasher.update(input.feed_url.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(raw: &str) -> String {
        canonical_url(raw).unwrap_or_else(|| panic!("not canonicalizable: {raw}"))
    }

    #[test]
    fn scheme_and_host_are_lower_cased() {
        assert_eq!(canon("HTTPS://AITNews.COM/a"), "https://aitnews.com/a");
    }

    #[test]
    fn default_port_and_fragment_are_dropped() {
        assert_eq!(canon("https://a.com:443/x#comments"), "https://a.com/x");
        assert_eq!(canon("http://a.com:80/x"), "http://a.com/x");
        assert_eq!(canon("http://a.com:8080/x"), "http://a.com:8080/x");
    }

    #[test]
    fn tracking_parameters_are_dropped() {
        assert_eq!(
            canon("https://a.com/x?utm_source=rss&utm_medium=feed&fbclid=1&gclid=2&id=7"),
            "https://a.com/x?id=7"
        );
        assert_eq!(
            canon("https://a.com/x?mc_cid=1&mc_eid=2&cmpid=3"),
            "https://a.com/x"
        );
    }

    #[test]
    fn amp_variants_fold_to_the_article() {
        assert_eq!(
            canon("https://a.com/news/123/amp/"),
            "https://a.com/news/123"
        );
        assert_eq!(
            canon("https://a.com/news/123/amp"),
            "https://a.com/news/123"
        );
        assert_eq!(
            canon("https://a.com/news/123?amp=1"),
            "https://a.com/news/123"
        );
        assert_eq!(
            canon("https://a.com/news/123?amp"),
            "https://a.com/news/123"
        );
        assert_eq!(
            canon("https://a.com/news/123?outputType=amp"),
            "https://a.com/news/123"
        );
    }

    #[test]
    fn raw_arabic_and_percent_encoded_paths_are_the_same_url() {
        let raw = canon("https://www.alittihad.ae/news/اقتصاد/4567/مراكز-البيانات");
        let lower = canon(
            "https://www.alittihad.ae/news/%d8%a7%d9%82%d8%aa%d8%b5%d8%a7%d8%af/4567/%d9%85%d8%b1%d8%a7%d9%83%d8%b2-%d8%a7%d9%84%d8%a8%d9%8a%d8%a7%d9%86%d8%a7%d8%aa",
        );
        let upper = canon(
            "https://www.alittihad.ae/news/%D8%A7%D9%82%D8%AA%D8%B5%D8%A7%D8%AF/4567/%D9%85%D8%B1%D8%A7%D9%83%D8%B2-%D8%A7%D9%84%D8%A8%D9%8A%D8%A7%D9%86%D8%A7%D8%AA",
        );
        assert_eq!(raw, lower);
        assert_eq!(raw, upper);
    }

    #[test]
    fn unreserved_escapes_are_decoded() {
        assert_eq!(
            canon("https://a.com/%7Euser/a%2Db"),
            "https://a.com/~user/a-b"
        );
    }

    #[test]
    fn trailing_slash_is_folded_but_root_stays() {
        assert_eq!(canon("https://a.com/x/"), "https://a.com/x");
        assert_eq!(canon("https://a.com/"), "https://a.com/");
        assert_eq!(canon("https://a.com"), "https://a.com/");
    }

    #[test]
    fn remaining_parameters_are_sorted_and_empty_query_dropped() {
        assert_eq!(canon("https://a.com/x?b=2&a=1"), "https://a.com/x?a=1&b=2");
        assert_eq!(canon("https://a.com/x?"), "https://a.com/x");
    }

    #[test]
    fn non_http_urls_have_no_canonical_form() {
        assert_eq!(canonical_url("12345"), None);
        assert_eq!(canonical_url("mailto:a@b.c"), None);
        assert_eq!(canonical_url("urn:uuid:1234"), None);
        assert_eq!(canonical_url("/relative/path"), None);
    }

    #[test]
    fn canonical_urls_are_idempotent_on_fixture_like_links() {
        for raw in [
            "https://aitnews.com/2025/12/09/%d8%aa%d8%b1%d8%a7%d9%85%d8%a8/?utm_source=rss",
            "https://www.alittihad.ae/news/اقتصاد/4567/مراكز",
            "https://a.com/a%2Fb/c%20d?q=مرحبا&x=1#f",
            "https://a.com/%5c",
            "https://a.com/a%5Cb",
            "https://a.com/%ZZ/%e0%a4",
        ] {
            let once = canon(raw);
            assert_eq!(canon(&once), once, "{raw}");
        }
    }

    fn input<'a>(link: Option<&'a str>, guid: Option<&'a str>) -> IdentityInput<'a> {
        IdentityInput {
            link,
            guid,
            guid_is_unique: true,
            feed_url: "https://feed.example/rss",
            title: "عنوان",
            date: Some("2026-01-01T00:00:00Z"),
            summary: "",
        }
    }

    #[test]
    fn a_link_identifies_the_item_across_feeds() {
        let a = identity_key(&input(Some("https://a.com/x?utm_source=1"), Some("1")));
        let mut other = input(Some("https://A.com/x/"), Some("99"));
        other.feed_url = "https://other.example/rss";
        assert_eq!(a.key, identity_key(&other).key);
        assert_eq!(a.kind, IdentityKind::Link);
    }

    #[test]
    fn url_and_urn_guids_count_across_feeds_bare_guids_only_within_one() {
        let url = identity_key(&input(None, Some("https://a.com/x")));
        assert_eq!(
            (url.key.as_str(), url.kind),
            ("url:https://a.com/x", IdentityKind::GuidUrl)
        );
        let urn = identity_key(&input(None, Some("urn:uuid:abc")));
        assert_eq!(urn.kind, IdentityKind::GuidUrn);
        let bare = identity_key(&input(None, Some("12345")));
        let mut elsewhere = input(None, Some("12345"));
        elsewhere.feed_url = "https://other.example/rss";
        assert_eq!(bare.kind, IdentityKind::FeedGuid);
        assert_ne!(bare.key, identity_key(&elsewhere).key);
    }

    #[test]
    fn repeated_or_empty_guids_fall_back_to_the_hash() {
        let mut repeated = input(None, Some("1"));
        repeated.guid_is_unique = false;
        assert_eq!(identity_key(&repeated).kind, IdentityKind::Hash);
        assert_eq!(
            identity_key(&input(None, Some("  "))).kind,
            IdentityKind::Hash
        );
    }

    #[test]
    fn hash_ignores_spelling_variants_of_the_title() {
        let mut a = input(None, None);
        a.title = "إنفيديا";
        let mut b = input(None, None);
        b.title = "انفيدْيا";
        assert_eq!(identity_key(&a).key, identity_key(&b).key);
    }

    #[test]
    fn hash_depends_on_title_and_date() {
        let a = identity_key(&input(None, None));
        let mut later = input(None, None);
        later.date = Some("2026-01-02T00:00:00Z");
        assert_ne!(a.key, identity_key(&later).key);
        assert_eq!(a.key, identity_key(&input(None, None)).key);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn canonical_url_is_idempotent_and_never_panics(
                path in "[a-zA-Z0-9/%._~\\-\\u{0621}-\\u{064A}]{0,30}",
                query in "[a-z0-9=&_%]{0,20}",
            ) {
                let raw = format!("https://Example.com/{path}?{query}");
                if let Some(once) = canonical_url(&raw) {
                    prop_assert_eq!(canonical_url(&once), Some(once.clone()));
                }
            }

            #[test]
            fn canonical_url_never_panics_on_any_string(raw in any::<String>()) {
                let _ = canonical_url(&raw);
            }
        }
    }
}
