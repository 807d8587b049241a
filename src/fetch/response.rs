//! Reading a final (non-redirect) response: what its status means, what its caching and
//! retry headers say, and its body, read under a size cap.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};

use super::FetchError;
use super::error::Timeouts;

/// A header as text, if present and valid UTF-8 (the bytes are kept exactly, nothing is trimmed,
/// so validators go back to the server as they came).
pub(crate) fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let value = headers.get(name)?;
    String::from_utf8(value.as_bytes().to_vec()).ok()
}

/// The error an unsuccessful final status stands for; `None` for 2xx and 304.
pub(crate) fn status_error(
    status: StatusCode,
    headers: &HeaderMap,
    url: &str,
    retry_after: Option<DateTime<Utc>>,
) -> Option<FetchError> {
    let url = url.to_owned();
    let error = match status.as_u16() {
        200..=299 | 304 => return None,
        404 => FetchError::NotFound { url },
        410 => FetchError::Gone { url },
        429 => FetchError::RateLimited { url, retry_after },
        503 => FetchError::Unavailable { url, retry_after },
        403 if is_cloudflare_challenge(headers) => FetchError::CloudflareChallenge { url },
        code => FetchError::Http {
            url,
            status: code,
            reason: status.canonical_reason().unwrap_or_default().to_owned(),
        },
    };
    Some(error)
}

fn is_cloudflare_challenge(headers: &HeaderMap) -> bool {
    headers
        .get("cf-mitigated")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("challenge"))
}

/// `Retry-After` as either delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = value.parse().ok()?;
        return now.checked_add_signed(ChronoDuration::try_seconds(seconds)?);
    }
    parse_http_date(value)
}

fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(value.trim())
        .ok()
        .map(DateTime::<Utc>::from)
}

/// How long the server says the response stays fresh: `Cache-Control: max-age` (minus `Age`)
/// wins over `Expires`; `no-store` / `no-cache` mean no promise at all. Not clamped: the
/// scheduler decides how far to trust it.
pub(crate) fn cache_until(
    cache_control: Option<&str>,
    expires: Option<&str>,
    age: Option<&str>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if let Some(cache_control) = cache_control {
        let mut max_age = None;
        for directive in cache_control.split(',') {
            let (name, value) = match directive.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                return None;
            }
            if name.eq_ignore_ascii_case("max-age") {
                max_age = value.and_then(|v| v.parse::<i64>().ok());
            }
        }
        if let Some(max_age) = max_age {
            let age = age.and_then(|a| a.trim().parse::<i64>().ok()).unwrap_or(0);
            let fresh_for = max_age.saturating_sub(age).max(0);
            return now.checked_add_signed(ChronoDuration::try_seconds(fresh_for)?);
        }
    }
    parse_http_date(expires?).filter(|at| *at > now)
}

/// The `charset` parameter of a `Content-Type` value, without quotes.
pub(crate) fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches('"').trim();
        (!value.is_empty()).then(|| value.to_owned())
    })
}

/// Reads the (already decompressed) body, stopping as soon as it passes `limit` bytes, so a
/// compression bomb or an endless body costs at most `limit` bytes of memory. `counted` is kept
/// up to date so the caller can report how much arrived even when this future is cancelled.
pub(crate) async fn read_capped(
    response: reqwest::Response,
    limit: u64,
    url: &str,
    timeouts: Timeouts,
    counted: &mut u64,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge {
        url: url.to_owned(),
        limit,
    };
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| FetchError::from_reqwest(&error, url, timeouts))?;
        *counted = counted.saturating_add(chunk.len() as u64);
        if *counted > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        crate::time::parse("2026-11-28T18:00:00Z").unwrap()
    }

    #[test]
    fn retry_after_seconds_are_added_to_now() {
        let at = parse_retry_after("120", now()).unwrap();
        assert_eq!(crate::time::format(at), "2026-11-28T18:02:00Z");
    }

    #[test]
    fn retry_after_http_date_is_parsed() {
        let at = parse_retry_after("Sat, 28 Nov 2026 19:30:00 GMT", now()).unwrap();
        assert_eq!(crate::time::format(at), "2026-11-28T19:30:00Z");
    }

    #[test]
    fn retry_after_garbage_and_negative_values_are_ignored() {
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-5", now()), None);
        assert_eq!(parse_retry_after("", now()), None);
        assert_eq!(parse_retry_after("99999999999999999999999", now()), None);
    }

    #[test]
    fn max_age_minus_age_gives_cache_until() {
        let until = cache_until(Some("public, max-age=600"), None, Some("100"), now()).unwrap();
        assert_eq!(crate::time::format(until), "2026-11-28T18:08:20Z");
    }

    #[test]
    fn max_age_wins_over_expires() {
        let until = cache_until(
            Some("max-age=60"),
            Some("Sat, 28 Nov 2026 20:00:00 GMT"),
            None,
            now(),
        )
        .unwrap();
        assert_eq!(crate::time::format(until), "2026-11-28T18:01:00Z");
    }

    #[test]
    fn expires_is_used_without_max_age_and_ignored_when_past_or_invalid() {
        let until = cache_until(None, Some("Sat, 28 Nov 2026 20:00:00 GMT"), None, now());
        assert_eq!(crate::time::format(until.unwrap()), "2026-11-28T20:00:00Z");
        let past = cache_until(None, Some("Sat, 28 Nov 2026 17:00:00 GMT"), None, now());
        assert_eq!(past, None);
        assert_eq!(cache_until(None, Some("0"), None, now()), None);
    }

    #[test]
    fn no_cache_and_no_store_promise_nothing() {
        let expires = Some("Sat, 28 Nov 2026 20:00:00 GMT");
        assert_eq!(cache_until(Some("no-cache"), expires, None, now()), None);
        assert_eq!(
            cache_until(Some("max-age=60, no-store"), expires, None, now()),
            None
        );
    }

    #[test]
    fn charset_parameter_is_extracted_without_quotes() {
        assert_eq!(
            charset("application/rss+xml; charset=windows-1256").as_deref(),
            Some("windows-1256")
        );
        assert_eq!(
            charset("text/xml;Charset=\"UTF-8\"").as_deref(),
            Some("UTF-8")
        );
        assert_eq!(charset("text/xml"), None);
        assert_eq!(charset("text/xml; charset="), None);
    }

    #[test]
    fn statuses_map_to_their_errors() {
        let headers = HeaderMap::new();
        let error =
            |code: u16| status_error(StatusCode::from_u16(code).unwrap(), &headers, "u", None);
        assert_eq!(error(200), None);
        assert_eq!(error(304), None);
        assert!(error(410).unwrap().is_gone());
        assert!(error(404).unwrap().is_not_found());
        assert!(matches!(error(429), Some(FetchError::RateLimited { .. })));
        assert!(matches!(error(503), Some(FetchError::Unavailable { .. })));
        assert!(matches!(
            error(403),
            Some(FetchError::Http { status: 403, .. })
        ));
        assert!(matches!(
            error(500),
            Some(FetchError::Http { status: 500, .. })
        ));
    }

    #[test]
    fn forbidden_with_cf_mitigated_challenge_is_a_cloudflare_challenge() {
        let mut headers = HeaderMap::new();
        headers.insert("cf-mitigated", "challenge".parse().unwrap());
        let error = status_error(StatusCode::FORBIDDEN, &headers, "u", None);
        assert!(matches!(
            error,
            Some(FetchError::CloudflareChallenge { .. })
        ));
    }
}
