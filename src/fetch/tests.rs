//! Fetcher tests that need the inside of the module: the private-network guard end to end, with
//! a 127.0.0.1 server playing a public feed. (The misbehaving-server tests live in tests/fetch.rs.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A tiny server: `/start` redirects to `location` (with `{port}` replaced), anything else
/// answers 200 "ok" and is counted.
async fn redirecting_server(location: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let read = stream.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let answer = if head.starts_with("GET /start ") {
                    let location = location.replace("{port}", &port.to_string());
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                } else {
                    counted.fetch_add(1, Ordering::SeqCst);
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_owned()
                };
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://127.0.0.1:{port}/start"), hits)
}

fn fetcher(allow_private_redirects: bool) -> Fetcher {
    Fetcher::new(FetchOptions {
        timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(2),
        allow_private_redirects,
        ..FetchOptions::default()
    })
    .unwrap()
}

fn as_public(_: &Url) -> bool {
    false
}

async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("test took too long")
}

#[tokio::test]
async fn public_feed_redirected_to_a_name_resolving_to_loopback_is_refused_at_connect_time() {
    let (url, hits) = redirecting_server("http://localhost:{port}/feed").await;
    let outcome = bounded(fetcher(false).fetch_with(&FetchRequest::new(url), as_public)).await;
    match outcome.result {
        Err(FetchError::PrivateAddress { addr, .. }) => assert!(addr.is_loopback()),
        other => panic!("expected PrivateAddress, got {other:?}"),
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the private target was reached"
    );
}

#[tokio::test]
async fn public_feed_redirected_to_a_literal_private_address_is_refused_without_connecting() {
    let (url, hits) = redirecting_server("http://127.0.0.1:{port}/feed").await;
    let outcome = bounded(fetcher(false).fetch_with(&FetchRequest::new(url), as_public)).await;
    assert!(
        matches!(outcome.result, Err(FetchError::PrivateAddress { .. })),
        "{:?}",
        outcome.result
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    assert_eq!(outcome.status, Some(302));
}

#[tokio::test]
async fn allow_private_redirects_lets_a_public_feed_reach_a_private_target() {
    let (url, hits) = redirecting_server("http://localhost:{port}/feed").await;
    let outcome = bounded(fetcher(true).fetch_with(&FetchRequest::new(url), as_public)).await;
    assert!(
        matches!(outcome.result, Ok(Fetched::Body(_))),
        "{:?}",
        outcome.result
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn configured_private_feed_may_redirect_to_private_targets() {
    let (url, hits) = redirecting_server("http://localhost:{port}/feed").await;
    let outcome = bounded(fetcher(false).fetch(&FetchRequest::new(url))).await;
    assert!(
        matches!(outcome.result, Ok(Fetched::Body(_))),
        "{:?}",
        outcome.result
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(outcome.final_url.starts_with("http://localhost:"));
}

/// 127.0.0.2 stands for a public address in the rebinding test; every other address is judged
/// as in production.
const STAND_IN_PUBLIC: std::net::IpAddr =
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

fn private_except_stand_in(ip: std::net::IpAddr) -> bool {
    ip != STAND_IN_PUBLIC && guard::is_private(ip)
}

/// A one-response-per-connection server on `addr` counting its hits; `/start` answers 301 to
/// `location`, anything else 200 with `body`.
async fn counting_server(
    listener: TcpListener,
    location: String,
    body: &'static str,
) -> Arc<AtomicUsize> {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (counted, location) = (counted.clone(), location.clone());
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let read = stream.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let answer = if head.starts_with("GET /start ") {
                    format!(
                        "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                } else {
                    counted.fetch_add(1, Ordering::SeqCst);
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    hits
}

/// Issue 15, point 2: a 301 to a public name becomes the feed's fetch URL; later the name
/// resolves to 127.0.0.1 (DNS rebinding). The learned URL must still go through the guard:
/// only the URL the operator wrote is trusted.
#[tokio::test]
async fn a_url_learned_from_a_permanent_redirect_is_always_fetched_through_the_guard() {
    // The "public" server on 127.0.0.2 and an internal service on 127.0.0.1, one port.
    let public = TcpListener::bind((STAND_IN_PUBLIC, 0)).await.unwrap();
    let port = public.local_addr().unwrap().port();
    let Ok(internal) = TcpListener::bind(("127.0.0.1", port)).await else {
        eprintln!("skipped: port {port} is taken on 127.0.0.1");
        return;
    };
    let learned = format!("http://rebind.test:{port}/feed");
    let public_hits = counting_server(public, learned.clone(), "public").await;
    let internal_hits = counting_server(internal, String::new(), "internal secret").await;
    // The test resolver: rebind.test answers the public address first, 127.0.0.1 afterwards.
    let lookups = Arc::new(AtomicUsize::new(0));
    let counted = lookups.clone();
    let lookup: guard::Lookup = Arc::new(move |host: &str| {
        assert_eq!(host, "rebind.test");
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            vec![STAND_IN_PUBLIC]
        } else {
            vec![std::net::IpAddr::from([127, 0, 0, 1])]
        }
    });
    let fetcher = Fetcher::with_resolution(
        FetchOptions {
            timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(2),
            ..FetchOptions::default()
        },
        guard::Resolution::replaced(lookup, private_except_stand_in),
    )
    .unwrap();
    let configured = format!("http://{STAND_IN_PUBLIC}:{port}/start");

    let first =
        bounded(fetcher.fetch_with(&FetchRequest::new(configured.as_str()), as_public)).await;
    assert!(
        matches!(first.result, Ok(Fetched::Body(_))),
        "{:?}",
        first.result
    );
    assert_eq!(first.permanent_redirect.as_deref(), Some(learned.as_str()));
    assert_eq!(public_hits.load(Ordering::SeqCst), 1);

    // The next fetch uses the learned URL, which now resolves to 127.0.0.1.
    let request = FetchRequest {
        configured_url: Some(configured.clone()),
        ..FetchRequest::new(learned.as_str())
    };
    let second = bounded(fetcher.fetch_with(&request, as_public)).await;
    match second.result {
        Err(FetchError::PrivateAddress { addr, .. }) => assert!(addr.is_loopback()),
        other => panic!("expected PrivateAddress, got {other:?}"),
    }
    assert_eq!(
        internal_hits.load(Ordering::SeqCst),
        0,
        "the internal service was reached"
    );

    // What mirsad did before: the learned URL fetched as if the operator had written it.
    let trusted =
        bounded(fetcher.fetch_with(&FetchRequest::new(learned.as_str()), as_public)).await;
    assert!(
        matches!(trusted.result, Ok(Fetched::Body(_))),
        "{:?}",
        trusted.result
    );
    assert_eq!(
        internal_hits.load(Ordering::SeqCst),
        1,
        "the rebinding resolver did not rebind"
    );
}

#[test]
fn default_user_agent_names_version_and_repository() {
    let agent = FetchOptions::default_user_agent();
    assert_eq!(
        agent,
        "mirsad/0.1.0 (+https://github.com/mirsad-dev/mirsad)"
            .replace("0.1.0", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn user_agent_that_is_not_a_header_value_is_a_setup_error() {
    let options = FetchOptions {
        user_agent: "bad\r\nagent".into(),
        ..FetchOptions::default()
    };
    assert!(matches!(
        Fetcher::new(options),
        Err(FetchError::Setup { .. })
    ));
}
