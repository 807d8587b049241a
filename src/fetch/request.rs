//! Building one HTTP request of a fetch: the URL checks, the headers every feed request carries
//! (User-Agent, Accept, conditional-GET validators) and where a redirect points.

use reqwest::header::{ACCEPT, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, USER_AGENT};
use url::Url;

use super::FetchError;

/// What mirsad can parse, best first; anything else is still accepted, because many servers label
/// feeds `text/html` or `application/octet-stream`.
pub const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5";

/// Parses a URL that may be fetched: absolute, `http` or `https`, with a host.
pub(crate) fn parse_feed_url(text: &str) -> Result<Url, FetchError> {
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: text.to_owned(),
        reason,
    };
    let url = Url::parse(text.trim()).map_err(|error| invalid(error.to_string()))?;
    check_fetchable(&url).map_err(invalid)?;
    Ok(url)
}

fn check_fetchable(url: &Url) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "scheme `{}` is not supported, use http or https",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err("the URL has no host".to_owned());
    }
    Ok(())
}

/// Resolves a `Location` header against the URL that answered with it (relative references are
/// common), and checks the result is fetchable.
pub(crate) fn redirect_target(current: &Url, location: &str) -> Result<Url, FetchError> {
    let invalid = |reason: String| FetchError::InvalidUrl {
        url: location.to_owned(),
        reason: format!("redirect from {current}: {reason}"),
    };
    let mut target = current
        .join(location.trim())
        .map_err(|error| invalid(error.to_string()))?;
    check_fetchable(&target).map_err(invalid)?;
    // The fragment is never sent; dropping it keeps loop detection honest.
    target.set_fragment(None);
    Ok(target)
}

/// The headers of one request.
pub(crate) fn feed_headers(
    user_agent: &HeaderValue,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Vec<(reqwest::header::HeaderName, HeaderValue)> {
    let mut headers = vec![
        (USER_AGENT, user_agent.clone()),
        (ACCEPT, HeaderValue::from_static(ACCEPT_FEEDS)),
    ];
    // Validators go back exactly as stored; one that is not a legal header value (it came from
    // somewhere odd) is skipped rather than failing the whole fetch.
    for (name, value) in [(IF_NONE_MATCH, etag), (IF_MODIFIED_SINCE, last_modified)] {
        let Some(value) = value else { continue };
        match HeaderValue::from_str(value) {
            Ok(value) => headers.push((name, value)),
            Err(_) => {
                tracing::warn!(header = %name, value, "stored validator is not a valid header value; not sent")
            }
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_location_is_resolved_against_the_current_url() {
        let current = Url::parse("http://127.0.0.1:8080/a/feed.xml?x=1").unwrap();
        let target = redirect_target(&current, "../b/rss").unwrap();
        assert_eq!(target.as_str(), "http://127.0.0.1:8080/b/rss");
        let absolute = redirect_target(&current, "https://example.com/rss#top").unwrap();
        assert_eq!(absolute.as_str(), "https://example.com/rss");
        let scheme_relative = redirect_target(&current, "//example.org/f").unwrap();
        assert_eq!(scheme_relative.as_str(), "http://example.org/f");
    }

    #[test]
    fn redirect_to_another_scheme_is_invalid() {
        let current = Url::parse("http://example.com/feed").unwrap();
        let error = redirect_target(&current, "file:///etc/passwd").unwrap_err();
        assert!(matches!(error, FetchError::InvalidUrl { .. }));
    }

    #[test]
    fn only_absolute_http_urls_are_fetchable() {
        assert!(parse_feed_url("https://example.com/feed").is_ok());
        assert!(parse_feed_url("ftp://example.com/feed").is_err());
        assert!(parse_feed_url("/feed.xml").is_err());
        assert!(parse_feed_url("not a url").is_err());
    }

    #[test]
    fn validators_are_sent_byte_for_byte_and_bad_ones_skipped() {
        let ua = HeaderValue::from_static("mirsad/test");
        let headers = feed_headers(&ua, Some("W/\"abc-1\""), Some("bad\nvalue"));
        let etag = headers
            .iter()
            .find(|(name, _)| name == IF_NONE_MATCH)
            .unwrap();
        assert_eq!(etag.1.as_bytes(), b"W/\"abc-1\"");
        assert!(!headers.iter().any(|(name, _)| name == IF_MODIFIED_SINCE));
        assert!(headers.iter().any(|(name, _)| name == ACCEPT));
    }
}
