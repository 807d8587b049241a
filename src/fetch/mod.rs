//! The HTTP fetcher: one polite, bounded GET of one feed URL, turned into a [`FetchOutcome`] the
//! scheduler can act on (new validators, redirects, retry and cache hints, a typed error).
//!
//! Politeness and safety rules live here and nowhere else: conditional GET with the stored
//! validators, an honest User-Agent, connect and whole-fetch timeouts, a body cap counted after
//! decompression, redirects followed by hand (at most `max_redirects`, loops detected), and the
//! private-network guard of [`guard`].
//!
//! Design note — two clients: reqwest's DNS resolver is per client, not per request, so the
//! fetcher holds two `reqwest::Client`s built from the same options. The *open* client serves the
//! configured URL and every hop of a feed whose configured host is private (the operator chose
//! it). The *guarded* client, whose resolver refuses private addresses at connect time, serves
//! redirect hops of feeds whose configured host is public. Both are cheap handles over connection
//! pools and are shared by all fetches. Proxies are not used: a proxy resolves names itself,
//! which would defeat the guard.

mod error;
pub mod guard;
mod request;
mod response;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{
    AGE, CACHE_CONTROL, CONTENT_TYPE, ETAG, EXPIRES, HeaderValue, LAST_MODIFIED, LOCATION,
    RETRY_AFTER,
};
use reqwest::{Client, StatusCode};
use url::Url;

pub use error::FetchError;
use error::Timeouts;
use guard::RedirectDecision;
pub use request::ACCEPT_FEEDS;

/// How every fetch behaves; one set per daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Sent unless a feed overrides it.
    pub user_agent: String,
    /// Limit for a whole fetch, redirects and body included.
    pub timeout: Duration,
    /// Limit for establishing one TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body: u64,
    /// Redirect hops followed before giving up.
    pub max_redirects: usize,
    /// Let redirects of public feeds reach private addresses (turns the guard off).
    pub allow_private_redirects: bool,
}

impl FetchOptions {
    /// `mirsad/<version> (+<repository URL>)`, so site operators can see who polls them.
    pub fn default_user_agent() -> String {
        format!(
            "mirsad/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_REPOSITORY")
        )
    }
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            user_agent: Self::default_user_agent(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body: 10 * 1024 * 1024,
            max_redirects: 5,
            allow_private_redirects: false,
        }
    }
}

/// One feed to fetch, with the validators stored from its last successful fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Per-feed User-Agent override.
    pub user_agent: Option<String>,
    /// The URL the operator configured, when `url` is not it but was learned from a permanent
    /// redirect. Only the configured URL is trusted: a learned URL is always fetched the way a
    /// redirect hop of the configured one would be, through the private-network guard.
    pub configured_url: Option<String>,
}

impl FetchRequest {
    /// An unconditional request for `url`.
    pub fn new(url: impl Into<String>) -> FetchRequest {
        FetchRequest {
            url: url.into(),
            ..FetchRequest::default()
        }
    }
}

/// A successful fetch: a new body, or the server's word that nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A 2xx answer with its (decompressed) body.
    Body(FetchedBody),
    /// 304: the stored copy is current.
    NotModified,
}

/// The bytes of a feed document and what the server said about their type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedBody {
    pub body: Vec<u8>,
    /// The `charset` parameter of `Content-Type`, as sent.
    pub charset: Option<String>,
    /// The whole `Content-Type` value.
    pub content_type: Option<String>,
}

/// Everything one fetch learned, successful or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOutcome {
    pub result: Result<Fetched, FetchError>,
    /// Status of the last response received, if any.
    pub status: Option<u16>,
    /// Validators to store: from a 200, or from a 304 (falling back to the ones sent when the
    /// 304 omits them, since the server just confirmed them). `None` after a failure.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The URL to store instead of the configured one: set when at least one redirect was
    /// followed, every hop was 301 or 308, and the fetch succeeded.
    pub permanent_redirect: Option<String>,
    /// The URL of the last request made.
    pub final_url: String,
    /// From `Retry-After` on the final response (429, 503, or any other status that sends it).
    pub retry_after: Option<DateTime<Utc>>,
    /// From `Cache-Control: max-age` or `Expires`; not clamped — the scheduler bounds it.
    pub cache_until: Option<DateTime<Utc>>,
    /// Body bytes received after decompression (also when the body was cut off).
    pub bytes: u64,
    pub elapsed: Duration,
}

impl FetchOutcome {
    /// The document, when the server sent one (200).
    pub fn body(&self) -> Option<&FetchedBody> {
        match &self.result {
            Ok(Fetched::Body(body)) => Some(body),
            _ => None,
        }
    }

    /// True for a 304: the feed has not changed since the validators were given.
    pub fn is_not_modified(&self) -> bool {
        matches!(self.result, Ok(Fetched::NotModified))
    }

    /// True for a 410: the server says the feed is gone for good.
    pub fn is_gone(&self) -> bool {
        self.result.as_ref().err().is_some_and(FetchError::is_gone)
    }
}

/// What is known so far while a fetch runs; kept outside the fetch future so it survives the
/// whole-fetch timeout cancelling that future.
struct Progress {
    final_url: String,
    status: Option<u16>,
    etag: Option<String>,
    last_modified: Option<String>,
    retry_after: Option<DateTime<Utc>>,
    cache_until: Option<DateTime<Utc>>,
    bytes: u64,
    redirects: usize,
    all_permanent: bool,
}

/// Fetches feeds over one shared pair of HTTP clients (see the module notes).
#[derive(Debug, Clone)]
pub struct Fetcher {
    options: FetchOptions,
    user_agent: HeaderValue,
    open: Client,
    guarded: Client,
    /// Why https cannot be verified (no CA certificates could be loaded); `None` normally.
    no_tls: Option<String>,
}

impl Fetcher {
    /// Builds the clients. Fails only on options that cannot work (an invalid User-Agent, a TLS
    /// backend that cannot start).
    pub fn new(options: FetchOptions) -> Result<Fetcher, FetchError> {
        Fetcher::with_resolution(options, guard::Resolution::system())
    }

    /// [`Fetcher::new`] with the name resolution given: tests replace the system resolver to
    /// play DNS rebinding on loopback.
    fn with_resolution(
        options: FetchOptions,
        resolution: guard::Resolution,
    ) -> Result<Fetcher, FetchError> {
        let user_agent =
            HeaderValue::from_str(&options.user_agent).map_err(|_| FetchError::Setup {
                reason: format!(
                    "user agent {:?} contains characters not allowed in an HTTP header",
                    options.user_agent
                ),
            })?;
        let system_roots = |guarded| build_client(&options, &resolution, guarded, true);
        let (open, guarded, no_tls) = match (system_roots(false), system_roots(true)) {
            (Ok(open), Ok(guarded)) => (open, guarded, None),
            (Err(error), _) | (_, Err(error)) => {
                // Most often a minimal system without CA certificates. Plain-http feeds need
                // none, so start, and fail only the https fetches, naming the cause.
                let cause = match error {
                    FetchError::Setup { reason } => reason,
                    other => other.to_string(),
                };
                tracing::error!(
                    cause,
                    "cannot load the system's trusted CA certificates; https feeds will fail until they are installed (package ca-certificates) or SSL_CERT_FILE names a CA bundle"
                );
                let no_roots = |guarded| build_client(&options, &resolution, guarded, false);
                (no_roots(false)?, no_roots(true)?, Some(cause))
            }
        };
        Ok(Fetcher {
            open,
            guarded,
            no_tls,
            user_agent,
            options,
        })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// Fetches one feed. Never panics and never takes longer than `timeout` (plus scheduling
    /// slack); every failure is in `result`.
    pub async fn fetch(&self, request: &FetchRequest) -> FetchOutcome {
        self.fetch_with(request, guard::configured_host_is_private)
            .await
    }

    /// [`Fetcher::fetch`] with the "is the configured host private" judgement injected, so tests
    /// on 127.0.0.1 can play a public feed.
    async fn fetch_with(
        &self,
        request: &FetchRequest,
        configured_is_private: fn(&Url) -> bool,
    ) -> FetchOutcome {
        let started = Instant::now();
        let mut progress = Progress {
            final_url: request.url.clone(),
            status: None,
            etag: None,
            last_modified: None,
            retry_after: None,
            cache_until: None,
            bytes: 0,
            redirects: 0,
            all_permanent: true,
        };
        let timeout = self.options.timeout;
        let run = self.follow(request, configured_is_private, &mut progress);
        let result = match tokio::time::timeout(timeout, run).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                url: progress.final_url.clone(),
                after: timeout,
            }),
        };
        let permanent_redirect =
            (result.is_ok() && progress.redirects > 0 && progress.all_permanent)
                .then(|| progress.final_url.clone());
        let succeeded = result.is_ok();
        let outcome = FetchOutcome {
            result,
            status: progress.status,
            etag: progress.etag.filter(|_| succeeded),
            last_modified: progress.last_modified.filter(|_| succeeded),
            permanent_redirect,
            final_url: progress.final_url,
            retry_after: progress.retry_after,
            cache_until: progress.cache_until,
            bytes: progress.bytes,
            elapsed: started.elapsed(),
        };
        log_outcome(&request.url, &outcome);
        outcome
    }

    /// The redirect loop: one request per hop until a final answer.
    async fn follow(
        &self,
        request: &FetchRequest,
        configured_is_private: fn(&Url) -> bool,
        progress: &mut Progress,
    ) -> Result<Fetched, FetchError> {
        let timeouts = Timeouts {
            total: self.options.timeout,
            connect: self.options.connect_timeout,
        };
        let mut url = request::parse_feed_url(&request.url)?;
        let configured = match &request.configured_url {
            Some(configured) => request::parse_feed_url(configured)?,
            None => url.clone(),
        };
        let configured_private = configured_is_private(&configured);
        let user_agent = self.user_agent_for(request);
        let headers = request::feed_headers(
            &user_agent,
            request.etag.as_deref(),
            request.last_modified.as_deref(),
        );
        let mut seen = HashSet::from([url.to_string()]);
        // The configured URL is fetched with the open client: the operator chose it. A URL
        // learned from a redirect is judged like the redirect hop it came from, every time: a
        // name that resolved to a public address then may resolve to 127.0.0.1 now.
        let mut client = match &request.configured_url {
            None => &self.open,
            Some(_) => self.client_for_hop(configured_private, &url)?,
        };
        loop {
            progress.final_url = url.to_string();
            if let (Some(cause), "https") = (&self.no_tls, url.scheme()) {
                return Err(FetchError::Setup {
                    reason: format!(
                        "cannot verify https: no trusted CA certificates could be loaded ({cause}); install the ca-certificates package or set SSL_CERT_FILE to a CA bundle"
                    ),
                });
            }
            let mut builder = client.get(url.clone());
            for (name, value) in &headers {
                builder = builder.header(name, value.clone());
            }
            let response = builder
                .send()
                .await
                .map_err(|error| FetchError::from_reqwest(&error, url.as_str(), timeouts))?;
            let status = response.status();
            progress.status = Some(status.as_u16());

            if is_redirect(status) {
                let location =
                    response::header_text(response.headers(), &LOCATION).ok_or_else(|| {
                        FetchError::Http {
                            url: url.to_string(),
                            status: status.as_u16(),
                            reason: "redirect without a usable Location header".to_owned(),
                        }
                    })?;
                let target = request::redirect_target(&url, &location)?;
                if !seen.insert(target.to_string()) {
                    return Err(FetchError::RedirectLoop {
                        url: target.to_string(),
                    });
                }
                if progress.redirects >= self.options.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: request.url.clone(),
                        limit: self.options.max_redirects,
                    });
                }
                client = self.client_for_hop(configured_private, &target)?;
                progress.redirects += 1;
                progress.all_permanent &= matches!(status.as_u16(), 301 | 308);
                url = target;
                continue;
            }

            return self.finish(request, response, progress, timeouts).await;
        }
    }

    /// The client for a URL the operator did not write (a redirect target, or a URL learned
    /// from one), or the refusal of a literal private address.
    fn client_for_hop(
        &self,
        configured_private: bool,
        target: &Url,
    ) -> Result<&Client, FetchError> {
        match guard::redirect_decision(
            configured_private,
            target,
            self.options.allow_private_redirects,
        ) {
            RedirectDecision::Follow => Ok(&self.open),
            RedirectDecision::FollowGuarded => Ok(&self.guarded),
            RedirectDecision::Refuse(addr) => Err(FetchError::PrivateAddress {
                url: target.to_string(),
                addr,
            }),
        }
    }

    /// Reads the final response: hints, validators, status, then the body.
    async fn finish(
        &self,
        request: &FetchRequest,
        response: reqwest::Response,
        progress: &mut Progress,
        timeouts: Timeouts,
    ) -> Result<Fetched, FetchError> {
        let now = Utc::now();
        let status = response.status();
        let headers = response.headers();
        let text = |name| response::header_text(headers, name);
        progress.retry_after =
            text(&RETRY_AFTER).and_then(|value| response::parse_retry_after(&value, now));
        progress.cache_until = response::cache_until(
            text(&CACHE_CONTROL).as_deref(),
            text(&EXPIRES).as_deref(),
            text(&AGE).as_deref(),
            now,
        );
        progress.etag = text(&ETAG);
        progress.last_modified = text(&LAST_MODIFIED);

        if let Some(error) =
            response::status_error(status, headers, &progress.final_url, progress.retry_after)
        {
            return Err(error);
        }
        if status == StatusCode::NOT_MODIFIED {
            // "Not modified since what?": without validators a 304 confirms nothing, and taking
            // it as success would show a feed that never sends its document as healthy forever.
            if request.etag.is_none() && request.last_modified.is_none() {
                return Err(FetchError::Http {
                    url: progress.final_url.clone(),
                    status: status.as_u16(),
                    reason: "304 Not Modified to a request that sent no validators (the server \
                             never sends the feed)"
                        .to_owned(),
                });
            }
            progress.etag = progress.etag.take().or_else(|| request.etag.clone());
            progress.last_modified = progress
                .last_modified
                .take()
                .or_else(|| request.last_modified.clone());
            return Ok(Fetched::NotModified);
        }
        let content_type = text(&CONTENT_TYPE);
        let charset = content_type.as_deref().and_then(response::charset);
        let url = progress.final_url.clone();
        let body = response::read_capped(
            response,
            self.options.max_body,
            &url,
            timeouts,
            &mut progress.bytes,
        )
        .await?;
        Ok(Fetched::Body(FetchedBody {
            body,
            charset,
            content_type,
        }))
    }

    fn user_agent_for(&self, request: &FetchRequest) -> HeaderValue {
        let Some(custom) = request.user_agent.as_deref() else {
            return self.user_agent.clone();
        };
        HeaderValue::from_str(custom).unwrap_or_else(|_| {
            tracing::warn!(url = %request.url, user_agent = custom, "per-feed user agent is not a valid header value; using the global one");
            self.user_agent.clone()
        })
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

fn build_client(
    options: &FetchOptions,
    resolution: &guard::Resolution,
    guarded: bool,
    system_roots: bool,
) -> Result<Client, FetchError> {
    let mut builder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        .no_proxy()
        .gzip(true)
        .brotli(true)
        .deflate(true);
    if guarded {
        builder = builder.dns_resolver(guard::GuardedResolver::new(resolution.clone()));
    } else if resolution.is_replaced() {
        builder = builder.dns_resolver(guard::OpenResolver::new(resolution.clone()));
    }
    if !system_roots {
        // An empty root store: https fetches are refused before connecting (see `follow`).
        builder = builder.tls_certs_only(std::iter::empty());
    }
    builder.build().map_err(|error| FetchError::Setup {
        reason: error_chain(&error),
    })
}

/// An error and its sources, `a: b: c`: reqwest's own text is only "builder error".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// One debug line per fetch; the daemon logs the one line operators see (a failed fetch is one
/// warning, not one per layer).
fn log_outcome(url: &str, outcome: &FetchOutcome) {
    let elapsed_ms = u64::try_from(outcome.elapsed.as_millis()).unwrap_or(u64::MAX);
    match &outcome.result {
        Ok(fetched) => tracing::debug!(
            url,
            final_url = %outcome.final_url,
            status = outcome.status,
            bytes = outcome.bytes,
            elapsed_ms,
            not_modified = matches!(fetched, Fetched::NotModified),
            "fetched feed"
        ),
        Err(error) => tracing::debug!(
            url,
            final_url = %outcome.final_url,
            status = outcome.status,
            bytes = outcome.bytes,
            elapsed_ms,
            kind = error.kind(),
            error = %error,
            "feed fetch failed"
        ),
    }
}

#[cfg(test)]
mod tests;
