//! The daemon end to end: `mirsad run` against a local, misbehaving HTTP server on 127.0.0.1.

mod support;

use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::cli::{Mirsad, fixture};
use support::daemon::{signal, wait_exit, wait_for};
use support::http_server::{Route, TestServer};

const AITNEWS: &str = "feeds/aitnews_2025_01.xml";
const HESPRESS: &str = "feeds/hespress_2026_01.xml";

fn body(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// A config listing `urls`, with short timeouts so misbehaving servers cost seconds.
fn config(m: &Mirsad, urls: &[String], fetch_extra: &str) -> String {
    // No web server: daemons of parallel tests would all want the default port.
    let mut text = format!(
        "[fetch]\ntimeout = \"3s\"\nconnect_timeout = \"1s\"\n{fetch_extra}\n[http]\nlisten = \"\"\n"
    );
    for url in urls {
        text.push_str(&format!("[[feeds]]\nurl = \"{url}\"\ninterval = \"1h\"\n"));
    }
    m.write("mirsad.toml", &text)
}

/// Runs `mirsad --config CONFIG run --once --all` off the async runtime; returns stdout. It
/// must succeed, unless every feed failed (then it exits 1 and says so).
async fn run_once(m: &Arc<Mirsad>, config: &str) -> String {
    let (m, config) = (m.clone(), config.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        m.run(&["--config", &config, "run", "--once", "--all"], &[])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("every feed failed"),
        "{stdout}\n{stderr}"
    );
    stdout
}

fn query<T: rusqlite::types::FromSql>(m: &Mirsad, sql: &str) -> T {
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn feed_field<T: rusqlite::types::FromSql>(m: &Mirsad, url: &str, column: &str) -> T {
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    conn.query_row(
        &format!("SELECT {column} FROM feeds WHERE url = ?1"),
        [url],
        |r| r.get(0),
    )
    .unwrap()
}

/// Seconds between a feed's last and next fetch.
fn scheduled_delay(m: &Mirsad, url: &str) -> i64 {
    let last: String = feed_field(m, url, "last_fetch_at");
    let next: String = feed_field(m, url, "next_fetch_at");
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp();
    parse(&next) - parse(&last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_run_sends_validators_gets_304_and_stores_rotated_validators() {
    let server = TestServer::start().await;
    server.route(
        "/a",
        Route::ok(body(AITNEWS))
            .etag("\"v2\"")
            .accepts_etag("\"v1\""),
    );
    server.route(
        "/b",
        Route::ok(body(HESPRESS)).last_modified("Mon, 02 Feb 2026 10:00:00 GMT"),
    );
    let m = Arc::new(Mirsad::new());
    let (a, b) = (server.url("/a"), server.url("/b"));
    let cfg = config(&m, &[a.clone(), b.clone()], "");

    let first = run_once(&m, &cfg).await;
    assert!(
        first.contains("2 fetched") && first.contains("20 new"),
        "{first}"
    );
    assert_eq!(query::<i64>(&m, "SELECT count(*) FROM items"), 20);
    assert_eq!(feed_field::<String>(&m, &a, "etag"), "\"v2\"");

    // The server now rotates its ETag; the old one still validates.
    server.route(
        "/a",
        Route::ok(body(AITNEWS))
            .etag("\"v3\"")
            .accepts_etag("\"v2\""),
    );
    let second = run_once(&m, &cfg).await;
    assert!(
        second.contains("2 not modified") && second.contains("0 new"),
        "{second}"
    );
    let sent = server.last_request("/a").unwrap();
    assert_eq!(sent.header("if-none-match"), Some("\"v2\""));
    let sent_b = server.last_request("/b").unwrap();
    assert_eq!(
        sent_b.header("if-modified-since"),
        Some("Mon, 02 Feb 2026 10:00:00 GMT")
    );
    assert_eq!(feed_field::<String>(&m, &a, "etag"), "\"v3\"");
    assert_eq!(query::<i64>(&m, "SELECT count(*) FROM items"), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_feed_stores_new_items_and_updates_changed_ones() {
    let server = TestServer::start().await;
    let original = String::from_utf8(body(AITNEWS)).unwrap();
    server.route("/a", Route::ok(original.clone()));
    let m = Arc::new(Mirsad::new());
    let cfg = config(&m, &[server.url("/a")], "");
    run_once(&m, &cfg).await;

    // One title edited, one item added.
    let first_title = original
        .split("<title>")
        .nth(2)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    let edited = original.replacen(first_title, "عنوان معدل بعد النشر", 1);
    let extra = "<item><title>خبر جديد</title><link>https://aitnews.com/new-item/</link>\
                 <guid>https://aitnews.com/new-item/</guid></item></channel>";
    server.set_body("/a", edited.replacen("</channel>", extra, 1));
    let out = run_once(&m, &cfg).await;
    assert!(out.contains("1 new, 1 updated"), "{out}");
    assert_eq!(query::<i64>(&m, "SELECT count(*) FROM items"), 11);
    // Fetched items carry stories, as ingested ones do.
    let without_story: i64 = query(&m, "SELECT count(*) FROM items WHERE story_id IS NULL");
    assert_eq!(without_story, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_sets_the_earliest_next_fetch() {
    let server = TestServer::start().await;
    server.route("/busy", Route::status(429).header("Retry-After", "120"));
    let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(7200));
    server.route("/down", Route::status(503).header("Retry-After", &later));
    let m = Arc::new(Mirsad::new());
    let (busy, down) = (server.url("/busy"), server.url("/down"));
    let cfg = config(&m, &[busy.clone(), down.clone()], "");
    // A 10 s interval backs off to about 20 s after one error, so only Retry-After can push the
    // next fetch out to 120 s and 2 h.
    let short = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("\"1h\"", "\"10s\"");
    std::fs::write(&cfg, short).unwrap();
    let out = run_once(&m, &cfg).await;
    assert!(out.contains("2 failed"), "{out}");
    let busy_delay = scheduled_delay(&m, &busy);
    assert!((120..=130).contains(&busy_delay), "{busy_delay}");
    assert!(
        scheduled_delay(&m, &down) >= 7190,
        "{}",
        scheduled_delay(&m, &down)
    );
    assert_eq!(feed_field::<i64>(&m, &busy, "last_status"), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_and_server_errors_back_off_then_reset_on_success() {
    let server = TestServer::start().await;
    server.route("/gone", Route::status(410));
    server.route("/flaky", Route::status(500));
    let m = Arc::new(Mirsad::new());
    let (gone, flaky) = (server.url("/gone"), server.url("/flaky"));
    let cfg = config(&m, &[gone.clone(), flaky.clone()], "");
    // It has worked once, so its failures follow the regular rules (not the quick retries of a
    // feed that never worked).
    server.route("/flaky", Route::ok(body(AITNEWS)));
    run_once(&m, &cfg).await;
    server.route("/flaky", Route::status(500));

    let mut delays = Vec::new();
    for _ in 0..3 {
        run_once(&m, &cfg).await;
        delays.push(scheduled_delay(&m, &flaky));
    }
    assert_eq!(feed_field::<i64>(&m, &flaky, "error_count"), 3);
    // interval 1h: 2h, 4h, 8h, each ± 10 %.
    for (delay, hours) in delays.iter().zip([2, 4, 8]) {
        let expected = hours * 3600;
        assert!((*delay - expected).abs() <= expected / 10 + 1, "{delays:?}");
    }
    assert_eq!(server.hits("/gone"), 1, "a gone feed is not fetched again");
    assert_eq!(feed_field::<i64>(&m, &gone, "disabled"), 1);
    let reason: String = feed_field(&m, &gone, "disabled_reason");
    assert!(reason.contains("410"), "{reason}");

    server.route("/flaky", Route::ok(body(AITNEWS)));
    run_once(&m, &cfg).await;
    assert_eq!(feed_field::<i64>(&m, &flaky, "error_count"), 0);
    assert!((scheduled_delay(&m, &flaky) - 3600).abs() <= 361);
    let feeds = m.run_ok(&["--config", &cfg, "feeds", "--json"], &[]);
    assert!(feeds.contains("\"status\":\"disabled\""), "{feeds}");
}

/// Issue 16, point 4: a feed whose first fetch failed waited about 12 hours (the adaptive
/// maximum, doubled). One that has never worked retries after 1, 2, 4 … minutes, and `feeds`
/// says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_that_never_worked_retries_within_minutes_and_feeds_shows_when() {
    let server = TestServer::start().await;
    server.route("/typo", Route::status(404));
    let m = Arc::new(Mirsad::new());
    let typo = server.url("/typo");
    // No `interval`: the adaptive one, whose maximum (6 h) a new feed starts at.
    let cfg = m.write(
        "mirsad.toml",
        &format!("[fetch]\ntimeout = \"3s\"\n[http]\nlisten = \"\"\n[[feeds]]\nurl = \"{typo}\"\nname = \"Typo\"\n"),
    );
    let mut delays = Vec::new();
    for _ in 0..3 {
        run_once(&m, &cfg).await;
        delays.push(scheduled_delay(&m, &typo));
    }
    for (delay, minutes) in delays.iter().zip([1, 2, 4]) {
        let expected = minutes * 60;
        assert!((*delay - expected).abs() <= expected / 10 + 1, "{delays:?}");
    }
    let feeds = m.run_ok(&["--config", &cfg, "feeds", "--json"], &[]);
    let row: serde_json::Value = serde_json::from_str(feeds.trim()).unwrap();
    let next = row["next_fetch_at"].as_str().unwrap();
    let next = chrono::DateTime::parse_from_rfc3339(next).unwrap();
    let ahead = (next.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!(
        (0..=300).contains(&ahead),
        "next fetch {ahead} s ahead: {feeds}"
    );
    assert_eq!(row["error_count"], 3, "{feeds}");
    let table = m.run_ok(&["--config", &cfg, "feeds"], &[]);
    let due = short(&next.with_timezone(&chrono::Utc));
    assert!(table.contains(&due), "{table}");
}

/// A time as the `feeds` table shows it.
fn short(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_redirect_updates_the_fetch_url_and_a_loop_fails_alone() {
    let server = TestServer::start().await;
    server.route("/old", Route::redirect(301, "/new"));
    server.route("/new", Route::ok(body(AITNEWS)));
    server.route("/loop1", Route::redirect(302, "/loop2"));
    server.route("/loop2", Route::redirect(302, "/loop1"));
    server.route("/fine", Route::ok(body(HESPRESS)));
    let m = Arc::new(Mirsad::new());
    let (old, looping) = (server.url("/old"), server.url("/loop1"));
    let cfg = config(&m, &[old.clone(), looping.clone(), server.url("/fine")], "");
    let out = run_once(&m, &cfg).await;
    assert!(
        out.contains("2 fetched") && out.contains("1 failed"),
        "{out}"
    );
    assert_eq!(
        feed_field::<String>(&m, &old, "fetch_url"),
        server.url("/new")
    );
    let error: String = feed_field(&m, &looping, "last_error");
    assert!(error.to_lowercase().contains("loop"), "{error}");
    run_once(&m, &cfg).await;
    assert_eq!(server.hits("/old"), 1, "the old URL is not fetched again");
    assert_eq!(server.hits("/new"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_bodies_decode_and_bombs_stop_at_the_cap() {
    let server = TestServer::start().await;
    server.route("/gz", Route::ok(body(AITNEWS)).gzip());
    server.route("/br", Route::ok(body(HESPRESS)).brotli());
    server.route(
        "/bomb",
        Route::ok(body("hostile/bomb.gz")).header("Content-Encoding", "gzip"),
    );
    server.route("/endless", Route::endless());
    let m = Arc::new(Mirsad::new());
    let bomb = server.url("/bomb");
    let urls = [
        server.url("/gz"),
        server.url("/br"),
        bomb.clone(),
        server.url("/endless"),
    ];
    let cfg = config(&m, &urls, "max_body = \"1MiB\"");
    let out = run_once(&m, &cfg).await;
    assert!(
        out.contains("2 fetched") && out.contains("2 failed"),
        "{out}"
    );
    assert_eq!(query::<i64>(&m, "SELECT count(*) FROM items"), 20);
    let error: String = feed_field(&m, &bomb, "last_error");
    assert!(
        error.contains("limit") || error.contains("large"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_trickling_servers_time_out_while_others_complete() {
    let server = TestServer::start().await;
    server.route("/silent", Route::never_answer());
    server.route("/slow", Route::trickle(body(AITNEWS)));
    server.route("/fine", Route::ok(body(HESPRESS)));
    let m = Arc::new(Mirsad::new());
    let urls = [
        server.url("/silent"),
        server.url("/slow"),
        server.url("/fine"),
    ];
    let cfg = config(&m, &urls, "per_host = 4");
    let started = Instant::now();
    let out = run_once(&m, &cfg).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        out.contains("1 fetched") && out.contains("2 failed"),
        "{out}"
    );
    assert_eq!(query::<i64>(&m, "SELECT count(*) FROM items"), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_per_host_connections_to_one_host() {
    let server = TestServer::start().await;
    let mut urls = Vec::new();
    for i in 0..8 {
        let path = format!("/f{i}");
        server.route(
            &path,
            Route::ok(body(AITNEWS)).delay(Duration::from_millis(300)),
        );
        urls.push(server.url(&path));
    }
    let m = Arc::new(Mirsad::new());
    let cfg = config(&m, &urls, "per_host = 2\nconcurrency = 16");
    run_once(&m, &cfg).await;
    assert_eq!(server.max_concurrent(), 2);
}

/// Starts the daemon (not --once) in the background.
fn spawn_daemon(m: &Mirsad, config: &str) -> Child {
    let mut cmd = m.command(&["--config", config, "run"], &[]);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_cycle_exits_cleanly_with_a_consistent_store() {
    let server = TestServer::start().await;
    let mut urls = Vec::new();
    for i in 0..6 {
        let path = format!("/f{i}");
        let delay = Duration::from_millis(200 * i);
        server.route(&path, Route::ok(body(AITNEWS).repeat(1)).delay(delay));
        urls.push(server.url(&path));
    }
    let m = Mirsad::new();
    let cfg = config(&m, &urls, "per_host = 1");
    let child = spawn_daemon(&m, &cfg);
    assert!(wait_for(Duration::from_secs(20), || server.hits("/f0") > 0).await);
    signal(&child, "TERM");
    let status = wait_exit(child, Duration::from_secs(15)).await;
    assert!(status.success(), "{status:?}");
    let verdict: String = query(&m, "PRAGMA integrity_check");
    assert_eq!(verdict, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_picks_up_a_feed_added_to_the_config() {
    let server = TestServer::start().await;
    server.route("/a", Route::ok(body(AITNEWS)));
    server.route("/b", Route::ok(body(HESPRESS)));
    let m = Mirsad::new();
    let cfg = config(&m, &[server.url("/a")], "");
    let child = spawn_daemon(&m, &cfg);
    assert!(wait_for(Duration::from_secs(20), || server.hits("/a") > 0).await);
    config(&m, &[server.url("/a"), server.url("/b")], "");
    signal(&child, "HUP");
    let picked_up = wait_for(Duration::from_secs(20), || server.hits("/b") > 0).await;
    signal(&child, "TERM");
    let status = wait_exit(child, Duration::from_secs(15)).await;
    assert!(picked_up, "the added feed was never fetched");
    assert!(status.success());
    assert_eq!(
        server.hits("/a"),
        1,
        "reloading does not refetch feeds that are not due"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_that_stored_items_rewrites_the_live_export_files() {
    let server = TestServer::start().await;
    server.route("/a", Route::ok(body(AITNEWS)));
    let m = Arc::new(Mirsad::new());
    let cfg = config(&m, &[server.url("/a")], "");
    let live = m.path("live.atom");
    let text = std::fs::read_to_string(&cfg).unwrap()
        + &format!(
            "[[exports]]\npath = \"{}\"\nformat = \"atom\"\n",
            live.display()
        );
    std::fs::write(&cfg, text).unwrap();
    run_once(&m, &cfg).await;
    let atom = std::fs::read(&live).expect("the live export file was written");
    let feed = feed_rs::parser::parse(atom.as_slice()).unwrap();
    assert_eq!(feed.entries.len(), 10);
}

/// A config of feeds with their own intervals, with a fetch timeout long enough for `/slow`.
fn config_with_intervals(m: &Mirsad, feeds: &[(String, &str)]) -> String {
    let mut text = String::from(
        "[fetch]\ntimeout = \"20s\"\nconnect_timeout = \"1s\"\n[http]\nlisten = \"\"\n",
    );
    for (url, interval) in feeds {
        text.push_str(&format!(
            "[[feeds]]\nurl = \"{url}\"\ninterval = \"{interval}\"\n"
        ));
    }
    m.write("mirsad.toml", &text)
}

/// Issue 15, point 27: a slow server held up every feed that fell due during its cycle, for up
/// to the fetch timeout. Each feed is scheduled on its own now: a feed due every second keeps
/// being fetched while another server takes 8 s to answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_delays_no_other_feed() {
    let server = TestServer::start().await;
    server.route(
        "/slow",
        Route::ok(body(AITNEWS)).delay(Duration::from_secs(8)),
    );
    server.route("/quick", Route::ok(body(HESPRESS)));
    let m = Mirsad::new();
    let cfg = config_with_intervals(
        &m,
        &[(server.url("/slow"), "1h"), (server.url("/quick"), "1s")],
    );
    let child = spawn_daemon(&m, &cfg);
    assert!(wait_for(Duration::from_secs(20), || server.hits("/slow") > 0).await);
    let slow_asked = Instant::now();
    // Before the slow answer comes (8 s), the quick feed is fetched again and again.
    let kept_going = wait_for(Duration::from_secs(7), || server.hits("/quick") >= 3).await;
    let waited = slow_asked.elapsed();
    signal(&child, "TERM");
    let status = wait_exit(child, Duration::from_secs(20)).await;
    assert!(
        kept_going,
        "the quick feed was fetched {} times in {waited:?} while the slow one was in flight",
        server.hits("/quick")
    );
    assert!(status.success(), "{status:?}");
    assert_eq!(server.hits("/slow"), 1);
}

/// Issue 15, point 27: `systemctl reload` waited for the current fetch round (27 s in one
/// test). SIGHUP during a slow fetch is applied at once: the feed it adds is fetched within
/// about a second, while the slow fetch is still in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_during_a_slow_fetch_is_applied_at_once() {
    let server = TestServer::start().await;
    server.route(
        "/slow",
        Route::ok(body(AITNEWS)).delay(Duration::from_secs(10)),
    );
    server.route("/added", Route::ok(body(HESPRESS)));
    let m = Mirsad::new();
    let slow = (server.url("/slow"), "1h");
    let cfg = config_with_intervals(&m, std::slice::from_ref(&slow));
    let child = spawn_daemon(&m, &cfg);
    assert!(wait_for(Duration::from_secs(20), || server.hits("/slow") > 0).await);
    config_with_intervals(&m, &[slow, (server.url("/added"), "1h")]);
    let sent = Instant::now();
    signal(&child, "HUP");
    let applied = wait_for(Duration::from_secs(5), || server.hits("/added") > 0).await;
    let took = sent.elapsed();
    signal(&child, "TERM");
    let status = wait_exit(child, Duration::from_secs(20)).await;
    assert!(
        applied,
        "the added feed was not fetched within 5 s of SIGHUP"
    );
    assert!(
        took < Duration::from_secs(3),
        "SIGHUP took {took:?} to apply"
    );
    assert!(status.success(), "{status:?}");
}

/// Without the colour codes a terminal would get.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, up to a final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Issue 16, the daemon's terminal output: a failed fetch was logged twice (INFO and WARN),
/// lines named feeds by URL, nothing said when the next fetch was due, and a new store logged
/// three migration lines. Now: one line per fetch, naming the feed (its URL a field beside),
/// with the next fetch time; one migration line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_names_each_feed_once_with_its_next_fetch() {
    let server = TestServer::start().await;
    server.route("/good", Route::ok(body(AITNEWS)));
    server.route("/broken", Route::status(500));
    let m = Arc::new(Mirsad::new());
    let (good, broken) = (server.url("/good"), server.url("/broken"));
    let cfg = m.write(
        "mirsad.toml",
        &format!(
            "[fetch]\ntimeout = \"3s\"\n[http]\nlisten = \"\"\n\
             [[feeds]]\nurl = \"{good}\"\nname = \"Good Outlet\"\n\
             [[feeds]]\nurl = \"{broken}\"\nname = \"Broken Outlet\"\n"
        ),
    );
    let out = m.run(&["--config", &cfg, "run", "--once", "--all"], &[]);
    let stderr = plain(&String::from_utf8_lossy(&out.stderr));
    for (url, name, what) in [
        (&good, "Good Outlet", "fetched"),
        (&broken, "Broken Outlet", "fetch failed"),
    ] {
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains(url.as_str()))
            .collect();
        assert_eq!(lines.len(), 1, "{url}: {stderr}");
        let line = lines[0];
        assert!(line.contains(&format!("feed=\"{name}\"")), "{line}");
        assert!(line.contains(what) && line.contains("next="), "{line}");
    }
    let migrations = stderr.lines().filter(|l| l.contains("migrat")).count();
    assert_eq!(migrations, 1, "{stderr}");
}
