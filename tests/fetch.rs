//! The fetcher against a misbehaving local server: conditional GET, decompression, body caps,
//! timeouts, status handling, redirects and headers.

mod support;

use std::time::Duration;

use chrono::Utc;
use mirsad::fetch::{FetchError, FetchOptions, FetchOutcome, FetchRequest, Fetched, Fetcher};
use support::http_server::{Route, TestServer};

const FEED: &str = "<rss version=\"2.0\"><channel><title>إنفيديا</title></channel></rss>";

fn options() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        ..FetchOptions::default()
    }
}

/// Fetches under a hard test deadline, well above the fetcher's own timeouts.
async fn fetch_with(options: FetchOptions, request: FetchRequest) -> FetchOutcome {
    let fetcher = Fetcher::new(options).unwrap();
    tokio::time::timeout(Duration::from_secs(10), fetcher.fetch(&request))
        .await
        .expect("the fetch outlived the test deadline")
}

async fn fetch(url: String) -> FetchOutcome {
    fetch_with(options(), FetchRequest::new(url)).await
}

fn body(outcome: &FetchOutcome) -> Vec<u8> {
    match &outcome.result {
        Ok(Fetched::Body(fetched)) => fetched.body.clone(),
        other => panic!("expected a body, got {other:?}"),
    }
}

#[tokio::test]
async fn conditional_get_sends_stored_validators_and_returns_the_rotated_ones_from_304() {
    let server = TestServer::start().await;
    let lm1 = "Sat, 28 Nov 2026 10:00:00 GMT";
    server.route("/feed", Route::ok(FEED).etag("W/\"v1\"").last_modified(lm1));

    let first = fetch(server.url("/feed")).await;
    assert_eq!(body(&first), FEED.as_bytes());
    assert_eq!(first.status, Some(200));
    assert_eq!(first.etag.as_deref(), Some("W/\"v1\""));
    assert_eq!(first.last_modified.as_deref(), Some(lm1));
    assert!(
        server
            .last_request("/feed")
            .unwrap()
            .header("if-none-match")
            .is_none()
    );

    // The server still accepts v1 but now announces new validators on its 304.
    let lm2 = "Sat, 28 Nov 2026 11:00:00 GMT";
    server.route(
        "/feed",
        Route::ok(FEED)
            .etag("\"v2\"")
            .last_modified(lm2)
            .accepts_etag("W/\"v1\""),
    );
    let request = FetchRequest {
        etag: first.etag.clone(),
        last_modified: first.last_modified.clone(),
        ..FetchRequest::new(server.url("/feed"))
    };
    let second = fetch_with(options(), request).await;
    let sent = server.last_request("/feed").unwrap();
    assert_eq!(sent.header("if-none-match"), Some("W/\"v1\""));
    assert_eq!(sent.header("if-modified-since"), Some(lm1));
    assert_eq!(second.result, Ok(Fetched::NotModified));
    assert_eq!(second.status, Some(304));
    assert_eq!(second.etag.as_deref(), Some("\"v2\""));
    assert_eq!(second.last_modified.as_deref(), Some(lm2));
    assert_eq!(second.bytes, 0);
}

/// Issue 15, point 23: a server answering 304 to a request with no validators was shown as a
/// healthy feed forever.
#[tokio::test]
async fn not_modified_to_a_request_without_validators_is_an_error() {
    let server = TestServer::start().await;
    server.route("/feed", Route::status(304));
    let outcome = fetch(server.url("/feed")).await;
    match outcome.result {
        Err(FetchError::Http {
            status: 304,
            ref reason,
            ..
        }) => {
            assert!(reason.contains("no validators"), "{reason}")
        }
        ref other => panic!("expected an error, got {other:?}"),
    }
    assert!(outcome.etag.is_none() && outcome.last_modified.is_none());
}

#[tokio::test]
async fn not_modified_without_validators_keeps_the_ones_sent() {
    let server = TestServer::start().await;
    server.route("/feed", Route::status(304));
    let request = FetchRequest {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Sat, 28 Nov 2026 10:00:00 GMT".into()),
        ..FetchRequest::new(server.url("/feed"))
    };
    let outcome = fetch_with(options(), request).await;
    assert_eq!(outcome.result, Ok(Fetched::NotModified));
    assert_eq!(outcome.etag.as_deref(), Some("\"abc\""));
    assert_eq!(
        outcome.last_modified.as_deref(),
        Some("Sat, 28 Nov 2026 10:00:00 GMT")
    );
}

#[tokio::test]
async fn gzip_and_brotli_bodies_are_decoded() {
    let server = TestServer::start().await;
    server.route("/gz", Route::ok(FEED).gzip());
    server.route("/br", Route::ok(FEED).brotli());
    for path in ["/gz", "/br"] {
        let outcome = fetch(server.url(path)).await;
        assert_eq!(body(&outcome), FEED.as_bytes(), "{path}");
        assert_eq!(outcome.bytes, FEED.len() as u64);
        let accept_encoding = server.last_request(path).unwrap();
        let accept_encoding = accept_encoding.header("accept-encoding").unwrap();
        assert!(accept_encoding.contains("gzip") && accept_encoding.contains("br"));
    }
}

#[tokio::test]
async fn gzip_bomb_is_cut_off_at_the_body_cap() {
    let server = TestServer::start().await;
    let bomb = std::fs::read("tests/fixtures/hostile/bomb.gz").unwrap();
    server.route("/bomb", Route::ok(bomb).header("Content-Encoding", "gzip"));
    let options = FetchOptions {
        timeout: Duration::from_secs(5),
        ..options()
    };
    let limit = options.max_body;
    let outcome = fetch_with(options, FetchRequest::new(server.url("/bomb"))).await;
    assert!(
        matches!(outcome.result, Err(FetchError::TooLarge { limit: l, .. }) if l == limit),
        "{:?}",
        outcome.result
    );
    assert!(
        outcome.bytes > limit && outcome.bytes < limit + 1024 * 1024,
        "{}",
        outcome.bytes
    );
}

#[tokio::test]
async fn endless_body_is_cut_off_at_the_body_cap() {
    let server = TestServer::start().await;
    server.route("/endless", Route::endless());
    let options = FetchOptions {
        max_body: 1024 * 1024,
        ..options()
    };
    let outcome = fetch_with(options, FetchRequest::new(server.url("/endless"))).await;
    assert!(matches!(
        outcome.result,
        Err(FetchError::TooLarge {
            limit: 1_048_576,
            ..
        })
    ));
}

#[tokio::test]
async fn declared_length_over_the_cap_is_refused() {
    let server = TestServer::start().await;
    server.route("/big", Route::ok(vec![b'a'; 4096]));
    let options = FetchOptions {
        max_body: 1000,
        ..options()
    };
    let outcome = fetch_with(options, FetchRequest::new(server.url("/big"))).await;
    assert!(matches!(
        outcome.result,
        Err(FetchError::TooLarge { limit: 1000, .. })
    ));
}

#[tokio::test]
async fn server_that_never_answers_is_cut_off_by_the_timeout() {
    let server = TestServer::start().await;
    server.route("/silent", Route::never_answer());
    let outcome = fetch(server.url("/silent")).await;
    assert!(
        matches!(outcome.result, Err(FetchError::Timeout { .. })),
        "{:?}",
        outcome.result
    );
    assert!(
        outcome.elapsed < Duration::from_secs(4),
        "{:?}",
        outcome.elapsed
    );
}

#[tokio::test]
async fn trickling_server_is_cut_off_by_the_whole_fetch_timeout() {
    let server = TestServer::start().await;
    server.route("/slow", Route::trickle(FEED));
    let outcome = fetch(server.url("/slow")).await;
    assert!(
        matches!(outcome.result, Err(FetchError::Timeout { .. })),
        "{:?}",
        outcome.result
    );
    assert_eq!(outcome.status, Some(200));
    assert!(
        outcome.elapsed < Duration::from_secs(4),
        "{:?}",
        outcome.elapsed
    );
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed", listener.local_addr().unwrap());
    drop(listener);
    let outcome = fetch(url).await;
    assert!(
        matches!(outcome.result, Err(FetchError::Connect { .. })),
        "{:?}",
        outcome.result
    );
    assert_eq!(outcome.status, None);
}

#[tokio::test]
async fn rate_limit_retry_after_seconds_is_parsed() {
    let server = TestServer::start().await;
    server.route("/feed", Route::status(429).header("Retry-After", "120"));
    let before = Utc::now();
    let outcome = fetch(server.url("/feed")).await;
    let at = outcome.retry_after.unwrap();
    assert!(at >= before + chrono::Duration::seconds(119));
    assert!(at <= Utc::now() + chrono::Duration::seconds(121));
    match outcome.result {
        Err(FetchError::RateLimited { retry_after, .. }) => assert_eq!(retry_after, Some(at)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn unavailable_retry_after_http_date_is_parsed() {
    let server = TestServer::start().await;
    let date = "Wed, 21 Oct 2037 07:28:00 GMT";
    server.route("/feed", Route::status(503).header("Retry-After", date));
    let outcome = fetch(server.url("/feed")).await;
    let expected = mirsad::time::parse("2037-10-21T07:28:00Z");
    assert_eq!(outcome.retry_after, expected);
    assert_eq!(
        outcome.result,
        Err(FetchError::Unavailable {
            url: server.url("/feed"),
            retry_after: expected
        })
    );
}

#[tokio::test]
async fn gone_not_found_cloudflare_and_other_statuses_are_told_apart() {
    let server = TestServer::start().await;
    server.route("/gone", Route::status(410));
    server.route("/missing", Route::status(404));
    server.route(
        "/cf",
        Route::status(403).header("cf-mitigated", "challenge"),
    );
    server.route("/forbidden", Route::status(403));
    server.route("/broken", Route::status(500));

    assert!(
        fetch(server.url("/gone"))
            .await
            .result
            .unwrap_err()
            .is_gone()
    );
    assert!(
        fetch(server.url("/missing"))
            .await
            .result
            .unwrap_err()
            .is_not_found()
    );
    let cf = fetch(server.url("/cf")).await.result.unwrap_err();
    assert!(matches!(cf, FetchError::CloudflareChallenge { .. }));
    assert!(cf.to_string().contains("Cloudflare bot challenge"));
    let forbidden = fetch(server.url("/forbidden")).await;
    assert!(matches!(
        forbidden.result,
        Err(FetchError::Http { status: 403, .. })
    ));
    let broken = fetch(server.url("/broken")).await;
    assert!(matches!(
        broken.result,
        Err(FetchError::Http { status: 500, .. })
    ));
    assert_eq!(broken.status, Some(500));
}

#[tokio::test]
async fn permanent_redirects_report_the_new_url() {
    let server = TestServer::start().await;
    server.route("/old", Route::redirect(301, "/older"));
    server.route("/older", Route::redirect(308, &server.url("/new")));
    server.route("/new", Route::ok(FEED));
    let outcome = fetch(server.url("/old")).await;
    assert_eq!(body(&outcome), FEED.as_bytes());
    assert_eq!(outcome.permanent_redirect, Some(server.url("/new")));
    assert_eq!(outcome.final_url, server.url("/new"));
}

#[tokio::test]
async fn a_temporary_hop_makes_the_redirect_not_permanent() {
    let server = TestServer::start().await;
    server.route("/a", Route::redirect(301, "/b"));
    server.route("/b", Route::redirect(302, "/c"));
    server.route("/c", Route::ok(FEED));
    let outcome = fetch(server.url("/a")).await;
    assert_eq!(body(&outcome), FEED.as_bytes());
    assert_eq!(outcome.permanent_redirect, None);
    assert_eq!(outcome.final_url, server.url("/c"));
}

#[tokio::test]
async fn permanent_redirect_to_an_error_is_not_reported() {
    let server = TestServer::start().await;
    server.route("/old", Route::redirect(301, "/new"));
    let outcome = fetch(server.url("/old")).await;
    assert!(outcome.result.unwrap_err().is_not_found());
    assert_eq!(outcome.permanent_redirect, None);
}

#[tokio::test]
async fn redirect_loop_is_detected() {
    let server = TestServer::start().await;
    server.route("/a", Route::redirect(302, "/b"));
    server.route("/b", Route::redirect(302, "/a"));
    let outcome = fetch(server.url("/a")).await;
    assert!(
        matches!(outcome.result, Err(FetchError::RedirectLoop { .. })),
        "{:?}",
        outcome.result
    );
    assert_eq!(server.hits("/a"), 1);
}

#[tokio::test]
async fn five_redirects_are_followed_and_a_sixth_is_refused() {
    let server = TestServer::start().await;
    for hop in 0..6 {
        server.route(
            &format!("/r{hop}"),
            Route::redirect(302, &format!("/r{}", hop + 1)),
        );
    }
    server.route("/r6", Route::ok(FEED));
    let five = fetch(server.url("/r1")).await;
    assert_eq!(body(&five), FEED.as_bytes());
    let six = fetch(server.url("/r0")).await;
    assert!(
        matches!(
            six.result,
            Err(FetchError::TooManyRedirects { limit: 5, .. })
        ),
        "{:?}",
        six.result
    );
}

#[tokio::test]
async fn redirect_between_private_addresses_of_a_private_feed_is_allowed() {
    let server = TestServer::start().await;
    let other = TestServer::start().await;
    other.route("/feed", Route::ok(FEED));
    server.route("/feed", Route::redirect(307, &other.url("/feed")));
    let outcome = fetch(server.url("/feed")).await;
    assert_eq!(body(&outcome), FEED.as_bytes());
}

#[tokio::test]
async fn user_agent_is_configurable_globally_and_per_feed() {
    let server = TestServer::start().await;
    server.route("/feed", Route::ok(FEED));

    fetch(server.url("/feed")).await;
    let sent = server.last_request("/feed").unwrap();
    assert_eq!(
        sent.header("user-agent"),
        Some(FetchOptions::default_user_agent().as_str())
    );
    assert!(
        sent.header("accept")
            .unwrap()
            .starts_with("application/rss+xml")
    );

    let global = FetchOptions {
        user_agent: "global-agent/1".into(),
        ..options()
    };
    fetch_with(global.clone(), FetchRequest::new(server.url("/feed"))).await;
    assert_eq!(
        server.last_request("/feed").unwrap().header("user-agent"),
        Some("global-agent/1")
    );

    let per_feed = FetchRequest {
        user_agent: Some("Mozilla/5.0 (mirsad)".into()),
        ..FetchRequest::new(server.url("/feed"))
    };
    fetch_with(global, per_feed).await;
    assert_eq!(
        server.last_request("/feed").unwrap().header("user-agent"),
        Some("Mozilla/5.0 (mirsad)")
    );
}

#[tokio::test]
async fn charset_content_type_and_cache_lifetime_are_reported() {
    let server = TestServer::start().await;
    server.route(
        "/feed",
        Route::ok(FEED)
            .header("Content-Type", "application/rss+xml; charset=windows-1256")
            .header("Cache-Control", "public, max-age=600"),
    );
    let before = Utc::now();
    let outcome = fetch(server.url("/feed")).await;
    match &outcome.result {
        Ok(Fetched::Body(fetched)) => {
            assert_eq!(fetched.charset.as_deref(), Some("windows-1256"));
            assert_eq!(
                fetched.content_type.as_deref(),
                Some("application/rss+xml; charset=windows-1256")
            );
        }
        other => panic!("expected a body, got {other:?}"),
    }
    let until = outcome.cache_until.unwrap();
    assert!(until >= before + chrono::Duration::seconds(599));
    assert!(until <= Utc::now() + chrono::Duration::seconds(600));
}

#[tokio::test]
async fn invalid_and_non_http_urls_are_refused_before_any_request() {
    for url in ["not a url", "ftp://127.0.0.1/feed", "file:///etc/passwd"] {
        let outcome = fetch(url.to_owned()).await;
        assert!(
            matches!(outcome.result, Err(FetchError::InvalidUrl { .. })),
            "{url}"
        );
        assert_eq!(outcome.final_url, url);
    }
}

#[tokio::test]
async fn body_change_at_runtime_is_fetched() {
    let server = TestServer::start().await;
    server.route("/feed", Route::ok("one"));
    assert_eq!(body(&fetch(server.url("/feed")).await), b"one");
    server.set_body("/feed", "two");
    assert_eq!(body(&fetch(server.url("/feed")).await), b"two");
    assert_eq!(server.hits("/feed"), 2);
}

#[tokio::test]
async fn server_tracks_concurrent_connections() {
    let server = TestServer::start().await;
    server.route("/slow", Route::ok(FEED).delay(Duration::from_millis(300)));
    let fetcher = Fetcher::new(options()).unwrap();
    let request = FetchRequest::new(server.url("/slow"));
    let both = futures_util::future::join3(
        fetcher.fetch(&request),
        fetcher.fetch(&request),
        fetcher.fetch(&request),
    );
    let (a, b, c) = tokio::time::timeout(Duration::from_secs(10), both)
        .await
        .unwrap();
    for outcome in [a, b, c] {
        assert_eq!(body(&outcome), FEED.as_bytes());
    }
    assert_eq!(server.max_concurrent(), 3);
}
