//! Reliability: hostile documents through the daemon, SIGKILL at random moments, long readers
//! during writes, and databases mirsad must not touch.

mod support;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::cli::{Mirsad, fixture};
use support::http_server::{Route, TestServer};

fn rss_items(feed: usize, count: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>"#,
    );
    for i in 0..count {
        xml.push_str(&format!(
            "<item><title>خبر رقم {i} من الموقع {feed}</title><link>https://site{feed}.example/{i}</link>\
             <description>نص الخبر {i}</description></item>"
        ));
    }
    xml.push_str("</channel></rss>");
    xml
}

fn config(m: &Mirsad, urls: &[String], fetch_extra: &str) -> String {
    let timeout = if fetch_extra.contains("timeout =") {
        ""
    } else {
        "timeout = \"5s\"\n"
    };
    let per_host = if fetch_extra.contains("per_host =") {
        ""
    } else {
        "per_host = 4\n"
    };
    let mut text = format!("[fetch]\n{timeout}{per_host}connect_timeout = \"1s\"\n{fetch_extra}\n");
    for url in urls {
        text.push_str(&format!("[[feeds]]\nurl = \"{url}\"\n"));
    }
    m.write("mirsad.toml", &text)
}

fn query<T: rusqlite::types::FromSql>(m: &Mirsad, sql: &str) -> T {
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

async fn run_once(m: &Arc<Mirsad>, config: &str) -> std::process::Output {
    let (m, config) = (m.clone(), config.to_owned());
    tokio::task::spawn_blocking(move || {
        m.run(&["--config", &config, "run", "--once", "--all"], &[])
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_fail_per_feed_in_bounded_time_and_the_rest_go_in() {
    let server = TestServer::start().await;
    let deep = format!(
        "<rss version=\"2.0\"><channel><title>x</title><item><title>t</title><description>{}{}</description></item></channel></rss>",
        "<div>".repeat(10_000),
        "</div>".repeat(10_000)
    );
    let huge_title = format!(
        "<rss version=\"2.0\"><channel><item><title>{}</title><link>https://big.example/1</link></item></channel></rss>",
        "عنوان ".repeat(100_000)
    );
    let many = rss_items(0, 100_000);
    let mut invalid = rss_items(1, 3).into_bytes();
    let middle = invalid.len() / 2;
    invalid.splice(middle..middle, [0xff, 0xfe, 0xc0]);
    let controls = rss_items(2, 2).replace("نص الخبر 0", "نص\u{0}الخبر\u{1b}[31m\u{7}");
    let documents: Vec<(&str, Route)> = vec![
        (
            "/laughs",
            Route::ok(std::fs::read(fixture("hostile/billion_laughs.xml")).unwrap()),
        ),
        (
            "/xxe",
            Route::ok(std::fs::read(fixture("hostile/xxe.xml")).unwrap()),
        ),
        ("/deep", Route::ok(deep)),
        ("/huge-title", Route::ok(huge_title)),
        ("/many", Route::ok(many)),
        ("/invalid-utf8", Route::ok(invalid)),
        ("/controls", Route::ok(controls)),
        (
            "/html",
            Route::ok(std::fs::read(fixture("hostile/bad_html.xml")).unwrap())
                .header("Content-Type", "application/rss+xml"),
        ),
        (
            "/json",
            Route::ok(std::fs::read(fixture("hostile/bad_json.xml")).unwrap())
                .header("Content-Type", "application/json"),
        ),
        ("/empty", Route::ok(Vec::new())),
        (
            "/good",
            Route::ok(std::fs::read(fixture("feeds/aitnews_2025_01.xml")).unwrap()),
        ),
    ];
    let mut urls = Vec::new();
    for (path, route) in documents {
        server.route(path, route);
        urls.push(server.url(path));
    }
    let m = Arc::new(Mirsad::new());
    let cfg = config(&m, &urls, "max_body = \"32MiB\"\ntimeout = \"20s\"");
    let started = Instant::now();
    let out = run_once(&m, &cfg).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    let errors: Vec<(String, String)> = conn
        .prepare("SELECT url, coalesce(last_error, '') FROM feeds ORDER BY url")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let error_of = |path: &str| {
        errors
            .iter()
            .find(|(u, _)| u.ends_with(path))
            .unwrap()
            .1
            .clone()
    };
    for path in ["/html", "/json", "/empty", "/invalid-utf8"] {
        assert!(
            !error_of(path).is_empty(),
            "{path} should fail clearly: {errors:?}"
        );
    }
    assert!(
        error_of("/html").to_lowercase().contains("html"),
        "{errors:?}"
    );
    assert!(error_of("/good").is_empty(), "{errors:?}");
    assert!(error_of("/many").is_empty(), "{errors:?}");
    let many: i64 = query(
        &m,
        "SELECT count(*) FROM items WHERE url LIKE 'https://site0.example/%'",
    );
    assert_eq!(many, 100_000);
    let leaked: i64 = query(
        &m,
        "SELECT count(*) FROM items WHERE body_text LIKE '%root:%' OR title LIKE '%lol%lol%lol%lol%'",
    );
    assert_eq!(leaked, 0);
    let nul: i64 = query(
        &m,
        "SELECT count(*) FROM items WHERE instr(body_text, char(0)) > 0 OR instr(body_text, char(27)) > 0",
    );
    assert_eq!(nul, 0, "control characters reach the stored text");
}

/// Item identities in the store, sorted.
fn identities(m: &Mirsad) -> Vec<String> {
    let Ok(conn) = rusqlite::Connection::open(&m.db) else {
        return Vec::new();
    };
    let Ok(mut stmt) = conn.prepare("SELECT identity FROM items ORDER BY identity") else {
        return Vec::new();
    };
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_no_committed_item_and_corrupts_nothing() {
    let server = TestServer::start().await;
    let feeds = 40;
    let mut urls = Vec::new();
    for feed in 0..feeds {
        let path = format!("/f{feed}");
        let delay = Duration::from_millis(5 * (feed as u64 % 10));
        server.route(&path, Route::ok(rss_items(feed, 50)).delay(delay));
        urls.push(server.url(&path));
    }
    let m = Mirsad::new();
    let cfg = config(&m, &urls, "concurrency = 8\nper_host = 8");
    let mut committed: Vec<String> = Vec::new();
    let mut kills = 0;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    while kills < 20 {
        let mut child = m.command(&["--config", &cfg, "run", "--once", "--all"], &[]);
        child.stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = child.spawn().unwrap();
        // xorshift: a reproducible "random" moment between 20 and 400 ms.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(20 + seed % 380)).await;
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        if !finished {
            kills += 1;
        }
        let now = identities(&m);
        for identity in &committed {
            assert!(
                now.binary_search(identity).is_ok(),
                "lost {identity} after kill {kills}"
            );
        }
        committed = now;
    }
    let out = m.run(&["--config", &cfg, "run", "--once", "--all"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict: String = query(&m, "PRAGMA integrity_check");
    assert_eq!(verdict, "ok");
    assert_eq!(
        query::<i64>(&m, "SELECT count(*) FROM items"),
        (feeds * 50) as i64
    );
    let duplicates: i64 = query(
        &m,
        "SELECT count(*) FROM (SELECT canonical_url FROM items GROUP BY canonical_url HAVING count(*) > 1)",
    );
    assert_eq!(duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_read_transaction_never_blocks_or_fails_a_cycle() {
    let server = TestServer::start().await;
    let mut urls = Vec::new();
    for feed in 0..10 {
        let path = format!("/f{feed}");
        server.route(&path, Route::ok(rss_items(feed, 20)));
        urls.push(server.url(&path));
    }
    let m = Arc::new(Mirsad::new());
    let cfg = config(&m, &urls[..5], "");
    run_once(&m, &cfg).await;

    // An analyst opens a transaction and keeps reading while the daemon writes.
    let reader = rusqlite::Connection::open(&m.db).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let before: i64 = reader
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    let cfg = config(&m, &urls, "");
    let listing = {
        let m = m.clone();
        tokio::task::spawn_blocking(move || m.run(&["items", "--json"], &[]))
    };
    let out = run_once(&m, &cfg).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("locked"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 failed"));
    let still: i64 = reader
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, still, "the reader keeps its snapshot");
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(query::<i64>(&m, "SELECT count(*) FROM items"), 200);
    let listing = listing.await.unwrap();
    assert!(
        listing.status.success(),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );
}

#[test]
fn a_database_from_a_newer_mirsad_is_refused_untouched() {
    let m = Mirsad::new();
    {
        let conn = rusqlite::Connection::open(&m.db).unwrap();
        conn.execute_batch("CREATE TABLE future(x); PRAGMA user_version = 999;")
            .unwrap();
    }
    let before = std::fs::read(&m.db).unwrap();
    for args in [vec!["items"], vec!["ingest"]] {
        let extra = if args[0] == "ingest" {
            vec![fixture("feeds/aitnews_2025_01.xml")]
        } else {
            vec![]
        };
        let out = m.run(&args, &extra);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("newer mirsad"), "{stderr}");
    }
    assert_eq!(std::fs::read(&m.db).unwrap(), before);
}
