//! Why a fetch failed, in terms the scheduler and the operator can act on, and the translation
//! of `reqwest` errors into those terms.

use std::error::Error as StdError;
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::guard::BlockedAddress;

/// One failed fetch. Every message names the URL and, where there is one, the way out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("fetching {url} took longer than {}s; the server is slow or stalls — raise the timeout if this feed is always slow", after.as_secs_f32())]
    Timeout { url: String, after: Duration },
    #[error("could not connect to {url}: {reason}; check the host name and that the site is up")]
    Connect { url: String, reason: String },
    #[error("request to {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error(
        "{url} sent more than {limit} bytes (after decompression); raise max_body if this feed is really that large"
    )]
    TooLarge { url: String, limit: u64 },
    #[error("{url} answered HTTP {status}{}", reason_suffix(reason))]
    Http {
        url: String,
        status: u16,
        reason: String,
    },
    #[error(
        "{url} answered 410 Gone: the feed was removed on purpose; remove it from the configuration"
    )]
    Gone { url: String },
    #[error("{url} answered 404 Not Found; check the feed URL")]
    NotFound { url: String },
    #[error(
        "{url} answered 429 Too Many Requests{}; mirsad waits before asking again",
        retry_suffix(retry_after)
    )]
    RateLimited {
        url: String,
        retry_after: Option<DateTime<Utc>>,
    },
    #[error("{url} answered 503 Service Unavailable{}", retry_suffix(retry_after))]
    Unavailable {
        url: String,
        retry_after: Option<DateTime<Utc>>,
    },
    #[error(
        "{url}: the site answers with a Cloudflare bot challenge; mirsad cannot pass it — ask the site for a feed URL that is not behind the challenge"
    )]
    CloudflareChallenge { url: String },
    #[error(
        "{url} redirected more than {limit} times; configure the final URL of the feed directly"
    )]
    TooManyRedirects { url: String, limit: usize },
    #[error(
        "{url} redirects in a loop back to an address already visited; the site is misconfigured"
    )]
    RedirectLoop { url: String },
    #[error(
        "refused to follow a redirect to {url}: it leads to the private address {addr}; set allow_private_redirects = true if this is intended"
    )]
    PrivateAddress { url: String, addr: IpAddr },
    #[error("{url} is not a usable feed URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("reading the body of {url} failed: {reason}")]
    Body { url: String, reason: String },
    #[error("could not set up the HTTP client: {reason}")]
    Setup { reason: String },
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(" {reason}")
    }
}

fn retry_suffix(retry_after: &Option<DateTime<Utc>>) -> String {
    match retry_after {
        Some(at) => format!(" (retry after {})", crate::time::format(*at)),
        None => String::new(),
    }
}

impl FetchError {
    /// The feed is gone for good (HTTP 410): stop polling it.
    pub fn is_gone(&self) -> bool {
        matches!(self, FetchError::Gone { .. })
    }

    /// HTTP 404: possibly temporary, but repeated 404s mean a dead URL.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::NotFound { .. })
    }

    /// The time the server asked us to wait until (429 / 503 with `Retry-After`).
    pub fn retry_after(&self) -> Option<DateTime<Utc>> {
        match self {
            FetchError::RateLimited { retry_after, .. }
            | FetchError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Failures that will not go away by retrying with the same configuration; the scheduler can
    /// back off hard and the operator should be told.
    pub fn needs_operator(&self) -> bool {
        matches!(
            self,
            FetchError::Gone { .. }
                | FetchError::CloudflareChallenge { .. }
                | FetchError::TooManyRedirects { .. }
                | FetchError::RedirectLoop { .. }
                | FetchError::PrivateAddress { .. }
                | FetchError::InvalidUrl { .. }
                | FetchError::TooLarge { .. }
                | FetchError::Setup { .. }
        )
    }

    /// A short stable name for the kind of failure, for the store and `mirsad feeds`.
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::Timeout { .. } => "timeout",
            FetchError::Connect { .. } => "connect",
            FetchError::Request { .. } => "request",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Http { .. } => "http",
            FetchError::Gone { .. } => "gone",
            FetchError::NotFound { .. } => "not_found",
            FetchError::RateLimited { .. } => "rate_limited",
            FetchError::Unavailable { .. } => "unavailable",
            FetchError::CloudflareChallenge { .. } => "cloudflare_challenge",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::RedirectLoop { .. } => "redirect_loop",
            FetchError::PrivateAddress { .. } => "private_address",
            FetchError::InvalidUrl { .. } => "invalid_url",
            FetchError::Body { .. } => "body",
            FetchError::Setup { .. } => "setup",
        }
    }

    /// Translates a `reqwest` error raised while fetching `url`.
    pub(crate) fn from_reqwest(
        error: &reqwest::Error,
        url: &str,
        timeouts: Timeouts,
    ) -> FetchError {
        let url = url.to_owned();
        if let Some(blocked) = find_source::<BlockedAddress>(error) {
            return FetchError::PrivateAddress {
                url,
                addr: blocked.addr,
            };
        }
        let reason = cause_chain(error);
        if error.is_timeout() {
            let after = if error.is_connect() {
                timeouts.connect
            } else {
                timeouts.total
            };
            FetchError::Timeout { url, after }
        } else if error.is_connect() {
            FetchError::Connect { url, reason }
        } else if error.is_body() || error.is_decode() {
            FetchError::Body { url, reason }
        } else if error.is_builder() {
            FetchError::InvalidUrl { url, reason }
        } else {
            FetchError::Request { url, reason }
        }
    }
}

/// The two limits a timeout error can stem from, so its message names the right one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub total: Duration,
    pub connect: Duration,
}

fn find_source<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// The innermost causes are the informative ones ("Connection refused"), so list them all;
/// reqwest's own message repeats the URL, which the `FetchError` message already has.
fn cause_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut current = error.source();
    while let Some(cause) = current {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        current = cause.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudflare_message_tells_the_operator_what_to_do() {
        let error = FetchError::CloudflareChallenge {
            url: "https://example.com/feed".into(),
        };
        let message = error.to_string();
        assert!(message.contains("Cloudflare bot challenge"));
        assert!(message.contains("ask the site for a feed URL that is not behind the challenge"));
    }

    #[test]
    fn retry_after_is_exposed_for_rate_limits_only() {
        let at = crate::time::parse("2026-11-28T18:19:56Z").unwrap();
        let limited = FetchError::RateLimited {
            url: "u".into(),
            retry_after: Some(at),
        };
        assert_eq!(limited.retry_after(), Some(at));
        assert!(limited.to_string().contains("2026-11-28T18:19:56Z"));
        assert_eq!(FetchError::NotFound { url: "u".into() }.retry_after(), None);
    }

    #[test]
    fn gone_is_gone_and_needs_the_operator() {
        let gone = FetchError::Gone { url: "u".into() };
        assert!(gone.is_gone());
        assert!(gone.needs_operator());
        assert_eq!(gone.kind(), "gone");
        let timeout = FetchError::Timeout {
            url: "u".into(),
            after: Duration::from_secs(1),
        };
        assert!(!timeout.is_gone());
        assert!(!timeout.needs_operator());
    }
}
