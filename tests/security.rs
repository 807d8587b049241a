//! Security and reliability regressions of issue 15 (part A) through the real daemon, against a
//! hostile HTTP server on 127.0.0.1: hostile items that once froze the daemon, feeds that
//! forged another outlet's items, links that must not leave mirsad, and servers that lie.
//! Each test is bounded in time and uses loopback only.

mod support;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::cli::Mirsad;
use support::daemon::{signal, wait_exit, wait_for};
use support::http_server::{Route, TestServer};

/// An RSS document with `items` as `(title, link, description)`.
fn rss(items: &[(&str, &str, &str)]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://outlet.example/</link>"#,
    );
    for (title, link, description) in items {
        xml.push_str(&format!(
            "<item><title>{title}</title><link>{link}</link><description><![CDATA[{description}]]></description></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

/// A config polling `urls` with short timeouts; `extra` is appended verbatim.
fn config(m: &Mirsad, urls: &[String], fetch_extra: &str, extra: &str) -> String {
    // No web server: daemons of parallel tests would compete for its default port.
    let mut text = format!(
        "[http]\nlisten = \"\"\n[fetch]\ntimeout = \"5s\"\nconnect_timeout = \"1s\"\n{fetch_extra}\n"
    );
    for url in urls {
        text.push_str(&format!("[[feeds]]\nurl = \"{url}\"\ninterval = \"1h\"\n"));
    }
    text.push_str(extra);
    m.write("mirsad.toml", &text)
}

/// `mirsad run` in the background, its log in `daemon.log`, with extra environment.
fn spawn_daemon(m: &Mirsad, config: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = m.command(&["--config", config, "run"], &[]);
    let log = std::fs::File::create(m.path("daemon.log")).unwrap();
    cmd.stdout(Stdio::null()).stderr(log);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.spawn().unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A `NOTIFY_SOCKET` that records every message with the time it arrived.
struct NotifySocket {
    path: std::path::PathBuf,
    messages: Arc<Mutex<Vec<(Instant, String)>>>,
}

impl NotifySocket {
    fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let recorded = messages.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            // Ends with the test process; a bounded loop keeps a leaked thread harmless.
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(300) {
                if let Ok(n) = socket.recv(&mut buffer) {
                    let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                    recorded.lock().unwrap().push((Instant::now(), text));
                }
            }
        });
        NotifySocket { path, messages }
    }

    /// Arrival times of the messages containing `needle`.
    fn times_of(&self, needle: &str) -> Vec<Instant> {
        let messages = self.messages.lock().unwrap();
        messages
            .iter()
            .filter(|(_, text)| text.contains(needle))
            .map(|(at, _)| *at)
            .collect()
    }

    fn all(&self) -> Vec<String> {
        let messages = self.messages.lock().unwrap();
        messages.iter().map(|(_, text)| text.clone()).collect()
    }
}

/// Issue 15, point 1: 1 MB of nested `<div>`s once took the export sanitizer over 460 s while
/// the daemon held the store's lock, so the watchdog starved and SIGTERM waited. Now the item
/// is exported in bounded time, the watchdog keeps pinging, and a stop takes under 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deeply_nested_megabyte_item_is_exported_quickly_and_never_starves_the_watchdog() {
    let server = TestServer::start().await;
    let deep = "<div>".repeat(200_000) + "نص عميق";
    let feed = rss(&[
        ("خبر عميق", "https://outlet.example/deep", &deep),
        (
            "خبر عادي",
            "https://outlet.example/plain",
            "<p>نص <b>عادي</b></p>",
        ),
    ]);
    assert!(feed.len() > 1_000_000);
    server.route("/deep", Route::ok(feed));
    let m = Mirsad::new();
    let live = m.path("live.atom");
    let exports = format!(
        "[[exports]]\npath = \"{}\"\nformat = \"atom\"\n",
        live.display()
    );
    let cfg = config(&m, &[server.url("/deep")], "", &exports);
    let notify = NotifySocket::bind(m.dir.path());
    let started = Instant::now();
    let child = spawn_daemon(
        &m,
        &cfg,
        &[
            ("NOTIFY_SOCKET", notify.path.display().to_string()),
            // A ping every 0.5 s.
            ("WATCHDOG_USEC", "1000000".to_owned()),
        ],
    );
    let exported = wait_for(Duration::from_secs(60), || {
        let text = read(&live);
        text.contains("خبر عميق") && text.contains("نص عميق")
    })
    .await;
    let export_took = started.elapsed();
    // A few more pings after the export, then stop.
    tokio::time::sleep(Duration::from_secs(2)).await;
    signal(&child, "TERM");
    let stopping = Instant::now();
    let status = wait_exit(child, Duration::from_secs(15)).await;
    let stop_took = stopping.elapsed();
    assert!(
        exported,
        "the item was not exported within 60 s; log:\n{}",
        read(&m.path("daemon.log"))
    );
    assert!(status.success(), "{status:?}");
    assert!(
        stop_took < Duration::from_secs(10),
        "stopping took {stop_took:?}"
    );
    let pings = notify.times_of("WATCHDOG=1");
    let mut last = started;
    let mut worst = Duration::ZERO;
    for at in pings.iter().chain([&stopping]) {
        worst = worst.max(at.duration_since(last));
        last = *at;
    }
    assert!(
        worst < Duration::from_secs(3),
        "the watchdog went {worst:?} without a ping (export took {export_took:?}); {} pings",
        pings.len()
    );
    let atom = read(&live);
    assert!(
        !atom.contains("<div><div>") && !atom.contains("&lt;div&gt;&lt;div&gt;"),
        "nested markup was exported as markup"
    );
    assert!(notify.all().iter().any(|m| m.contains("READY=1")));
}

/// Issue 15, point 8: SIGHUP silently kept the old `[fetch]` settings. Now the new
/// `user_agent` is sent by the next fetch, and a reload the client cannot apply is refused in
/// the unit's status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_new_fetch_settings_and_reports_a_failed_reload_in_the_status() {
    let server = TestServer::start().await;
    let feed = rss(&[("خبر", "https://outlet.example/1", "نص")]);
    server.route("/a", Route::ok(feed.clone()));
    server.route("/b", Route::ok(feed));
    let m = Mirsad::new();
    let cfg = config(&m, &[server.url("/a")], "user_agent = \"first/1\"", "");
    let notify = NotifySocket::bind(m.dir.path());
    let child = spawn_daemon(
        &m,
        &cfg,
        &[("NOTIFY_SOCKET", notify.path.display().to_string())],
    );
    assert!(wait_for(Duration::from_secs(20), || server.hits("/a") > 0).await);
    let sent = |path: &str| {
        server
            .last_request(path)
            .and_then(|r| r.header("user-agent").map(str::to_owned))
    };
    assert_eq!(sent("/a").as_deref(), Some("first/1"));

    config(
        &m,
        &[server.url("/a"), server.url("/b")],
        "user_agent = \"second/2\"",
        "",
    );
    signal(&child, "HUP");
    let fetched = wait_for(Duration::from_secs(20), || server.hits("/b") > 0).await;
    let b_agent = sent("/b");

    // A config the HTTP client cannot be built from is refused, and the status says so.
    config(
        &m,
        &[server.url("/a")],
        "user_agent = \"bad\\u0007agent\"",
        "",
    );
    signal(&child, "HUP");
    let reported = wait_for(Duration::from_secs(10), || {
        notify
            .all()
            .iter()
            .any(|m| m.contains("STATUS=reload failed") && m.contains("[fetch]"))
    })
    .await;
    signal(&child, "TERM");
    let status = wait_exit(child, Duration::from_secs(15)).await;
    assert!(fetched, "the added feed was never fetched");
    assert_eq!(
        b_agent.as_deref(),
        Some("second/2"),
        "the old user agent stayed"
    );
    assert!(
        reported,
        "no failed reload in the status: {:?}",
        notify.all()
    );
    assert!(status.success(), "{status:?}");
}

/// Issue 15, point 23: a server answering 304 to a request with no validators counts as a
/// failing feed, with its reason in `mirsad feeds`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_answering_304_without_having_sent_a_document_is_shown_as_failing() {
    let server = TestServer::start().await;
    server.route("/liar", Route::status(304));
    let m = Mirsad::new();
    let cfg = config(&m, &[server.url("/liar")], "", "");
    let out = m.run(&["--config", &cfg, "run", "--once", "--all"], &[]);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("1 failed"), "{text}");
    let feeds = m.run_ok(&["--config", &cfg, "feeds"], &[]);
    assert!(feeds.contains("no validators"), "{feeds}");
}

/// Issue 15, point 25: without CA certificates mirsad refused to start ("builder error"), even
/// for plain-http feeds. Now it starts, the http feed is fetched, and only the https feed
/// fails, naming the cause. (No connection is made to the https URL.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_ca_certificates_http_feeds_work_and_https_feeds_fail_naming_the_cause() {
    let server = TestServer::start().await;
    server.route(
        "/a",
        Route::ok(rss(&[("خبر", "https://outlet.example/1", "نص")])),
    );
    let m = Mirsad::new();
    let https = server.url("/b").replace("http://", "https://");
    let cfg = config(&m, &[server.url("/a"), https.clone()], "", "");
    let mut cmd = m.command(&["--config", &cfg, "run", "--once", "--all"], &[]);
    cmd.env("SSL_CERT_FILE", m.path("no-such-bundle.pem"))
        .env("SSL_CERT_DIR", m.path("no-such-dir"));
    let out = support::cli::run_bounded(cmd, None);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("1 fetched") && text.contains("1 failed"),
        "{text}"
    );
    assert_eq!(server.hits("/b"), 0);
    let feeds = m.run_ok(&["--config", &cfg, "feeds"], &[]);
    assert!(feeds.contains("CA certificates"), "{feeds}");
}

/// Issue 15, points 26 and 27: under journald every line arrived at info priority, and a failed
/// fetch logged two lines (a TLS failure three). Now each line carries its priority and each
/// failed fetch is one warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_journald_lines_carry_priorities_and_a_failed_fetch_is_one_warning() {
    let server = TestServer::start().await;
    server.route("/broken", Route::status(500));
    server.route("/tls", Route::ok("not tls"));
    let m = Mirsad::new();
    let broken = server.url("/broken");
    let tls = server.url("/tls").replace("http://", "https://");
    let cfg = config(&m, &[broken.clone(), tls.clone()], "", "");
    let mut cmd = m.command(&["--config", &cfg, "run", "--once", "--all"], &[]);
    cmd.env("JOURNAL_STREAM", "8:1234");
    let out = support::cli::run_bounded(cmd, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for url in [&broken, &tls] {
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains(url.as_str()))
            .collect();
        assert_eq!(lines.len(), 1, "{url}: {lines:#?}");
        assert!(lines[0].starts_with("<4>"), "{}", lines[0]);
    }
    let cycle = stderr
        .lines()
        .find(|l| l.contains("mirsad::daemon: cycle:"))
        .expect(&stderr);
    assert!(cycle.starts_with("<6>"), "{cycle}");
    assert!(
        stderr.lines().all(|l| l.starts_with('<')),
        "a line without a priority: {stderr}"
    );
}
