//! Attacks on mirsad's edges that need no hostile server: absurd configs and command lines,
//! hostile local documents, special files as `--out`, a second daemon, other programs'
//! databases and stores this user may not write or read. Each test is one attack of issue 15,
//! kept so it stays fixed; each runs the real binary in bounded time.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::cli::{Mirsad, run_bounded};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn query<T: rusqlite::types::FromSql>(db: &Path, sql: &str) -> T {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Fails the test when mirsad panicked instead of refusing cleanly.
fn assert_refused(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "accepted: {err}");
    assert_ne!(out.status.code(), Some(101), "panicked: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
}

fn rss_with(items: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>https://site.example/</link>{items}</channel></rss>"#
    )
}

#[test]
fn check_refuses_absurd_durations_and_limits_with_file_and_line() {
    let m = Mirsad::new();
    let cases = [
        ("[fetch]\nmax_backoff = \"300000y\"\n", ":2:"),
        ("[fetch]\nmax_interval = \"300000y\"\n", ":2:"),
        ("[fetch]\nconcurrency = 9223372036854775807\n", ":2:"),
        ("[fetch]\nper_host = 9223372036854775807\n", ":2:"),
        (
            "[[feeds]]\nurl = \"http://127.0.0.1:1/f\"\ninterval = \"300000y\"\n",
            ":3:",
        ),
    ];
    for (text, line) in cases {
        let config = m.write("absurd.toml", text);
        for command in [&["check"][..], &["run", "--once"][..]] {
            let mut args = vec!["--config", config.as_str()];
            args.extend_from_slice(command);
            let out = m.run(&args, &[]);
            assert_refused(&out, &format!("absurd.toml{line}"));
        }
    }
}

#[test]
fn since_300000_years_is_refused_cleanly() {
    let m = Mirsad::new();
    m.run_ok(
        &["ingest"],
        &[support::cli::fixture("feeds/aitnews_2025_01.xml")],
    );
    for command in ["items", "export"] {
        let mut args = vec![command, "--since", "300000y"];
        if command == "export" {
            args.extend(["--format", "jsonl"]);
        }
        let out = m.run(&args, &[]);
        assert_refused(&out, "--since");
    }
}

#[test]
fn run_once_exits_non_zero_when_every_feed_failed() {
    let m = Mirsad::new();
    // Port 1 on loopback refuses at once; the operator configured it, so the guard allows it.
    let config = m.write(
        "dead.toml",
        "[fetch]\nconnect_timeout = \"2s\"\ntimeout = \"3s\"\n\
         [[feeds]]\nurl = \"http://127.0.0.1:1/a\"\n[[feeds]]\nurl = \"http://127.0.0.1:1/b\"\n",
    );
    let out = m.run(&["--config", &config, "run", "--once", "--all"], &[]);
    assert!(stdout(&out).contains("2 failed"), "{}", stdout(&out));
    assert_refused(&out, "every feed failed");
}

#[test]
fn a_config_of_100000_feeds_is_checked_fast_and_refused() {
    let m = Mirsad::new();
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("[[feeds]]\nurl = \"https://f{i}.example/rss\"\n"));
    }
    let config = m.write("huge.toml", &text);
    let started = Instant::now();
    let out = m.run(&["--config", &config, "check"], &[]);
    assert_refused(&out, "at most 50000");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn opml_import_refuses_private_urls_newlines_and_escape_sequences_in_names() {
    let m = Mirsad::new();
    let config = m.write("mirsad.toml", "");
    let list = m.write(
        "list.opml",
        "<opml version=\"2.0\"><body>\
         <outline text=\"admin\" xmlUrl=\"http://127.0.0.1:9000/admin\"/>\
         <outline text=\"meta\" xmlUrl=\"http://169.254.169.254/latest\"/>\
         <outline text=\"nl\" xmlUrl=\"https://ok.example/&#10;feed\"/>\
         <outline text=\"evil&#x1b;[2Jname\" xmlUrl=\"https://ok.example/feed\"/>\
         </body></opml>",
    );
    let out = m.run_ok(&["--config", &config, "opml", "import", &list], &[]);
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert!(out.contains("added 1 feed"), "{out}");
    assert_eq!(out.matches("loopback or private").count(), 2, "{out}");
    assert!(out.contains("control characters"), "{out}");
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        !written.contains("127.0.0.1") && !written.contains('\u{1b}'),
        "{written}"
    );
    let feeds = m.run_ok(&["--config", &config, "feeds"], &[]);
    assert!(
        feeds.contains("evil[2Jname") && !feeds.contains('\u{1b}'),
        "{feeds:?}"
    );
}

#[test]
fn endless_inputs_are_cut_by_bytes_read() {
    let m = Mirsad::new();
    let started = Instant::now();
    let config = m.write("c.toml", "");
    let opml = m.run(&["--config", &config, "opml", "import", "/dev/zero"], &[]);
    assert_refused(&opml, "more than");
    let ingest = m.run(&["ingest", "/dev/zero"], &[]);
    assert_refused(&ingest, "more than");
    let check = m.run(&["--config", "/dev/zero", "check"], &[]);
    assert_refused(&check, "more than");
    for args in [&["tag"][..], &["tag", "--jsonl"][..]] {
        let mut tag = m.command(args, &[]);
        tag.stdin(std::fs::File::open("/dev/zero").unwrap())
            .stderr(Stdio::piped());
        tag.stdout(Stdio::null());
        let mut child = tag.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().ok();
                panic!("`mirsad {args:?} < /dev/zero` was still reading after 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert_refused(&out, "16 MiB");
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn export_out_writes_through_devices_and_stdout_follows_symlinks_and_refuses_directories() {
    let m = Mirsad::new();
    m.run_ok(
        &["ingest"],
        &[support::cli::fixture("feeds/aitnews_2025_01.xml")],
    );
    // /dev/stdout is a link to the descriptor: the export must reach it.
    let out = m.run(
        &["export", "--format", "jsonl", "--out", "/dev/stdout"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).lines().count() >= 10, "{}", stdout(&out));
    let null = m.run(&["export", "--format", "atom", "--out", "/dev/null"], &[]);
    assert!(null.status.success(), "{}", stderr(&null));
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    // A symlinked output keeps its link; the target is replaced.
    let target = m.path("real.csv");
    std::fs::write(&target, "old").unwrap();
    let link = m.path("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    m.run_ok(
        &["export", "--format", "csv", "--out", link.to_str().unwrap()],
        &[],
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read_to_string(&target).unwrap().len() > 100);
    // A directory is refused and left alone.
    let dir = m.path("exports");
    std::fs::create_dir(&dir).unwrap();
    let refused = m.run(
        &["export", "--format", "csv", "--out", dir.to_str().unwrap()],
        &[],
    );
    assert_refused(&refused, "directory");
    assert!(dir.is_dir());
}

#[test]
fn a_second_daemon_on_one_store_refuses_naming_the_first() {
    let m = Mirsad::new();
    let config = m.write(
        "mirsad.toml",
        "[fetch]\nconnect_timeout = \"1s\"\ntimeout = \"2s\"\n[[feeds]]\nurl = \"http://127.0.0.1:1/a\"\n",
    );
    let mut first = m
        .command(&["--config", &config, "run"], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = format!("{}.lock", m.db.display());
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != first.id().to_string() {
        assert!(
            Instant::now() < deadline,
            "the first daemon never took the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = m.run(&["--config", &config, "run", "--once"], &[]);
    first.kill().ok();
    first.wait().ok();
    assert_refused(&second, &format!("PID {}", first.id()));
    assert_eq!(stderr(&second).lines().count(), 1, "{}", stderr(&second));
    // The kernel released the lock with the process: the next daemon starts.
    let next = m.run(&["--config", &config, "run", "--once"], &[]);
    assert!(
        !stderr(&next).contains("already running"),
        "{}",
        stderr(&next)
    );
}

#[test]
fn far_future_and_ancient_dates_fall_back_to_first_seen_and_keep_the_raw_value() {
    let m = Mirsad::new();
    // Atom's RFC 3339 dates reach these extremes (RSS's RFC 2822 parser refuses them).
    let entry = |title: &str, date: &str| {
        format!(
            "<entry><id>urn:x:{title}</id><title>{title}</title>\
             <link href=\"https://site.example/{title}\"/><published>{date}</published>\
             <updated>{date}</updated></entry>"
        )
    };
    let doc = m.write(
        "dates.xml",
        &format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>{}{}{}</feed>",
            entry("future", "9999-12-31T23:59:59Z"),
            entry("ancient", "0001-01-01T00:00:00Z"),
            entry("real", "2026-02-02T10:00:00Z"),
        ),
    );
    m.run_ok(&["ingest", &doc], &[]);
    let row = |title: &str| -> (String, String, i64, Option<String>) {
        let conn = rusqlite::Connection::open(&m.db).unwrap();
        conn.query_row(
            "SELECT published_at, first_seen_at, published_estimated, published_raw
             FROM items WHERE title = ?1",
            [title],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    };
    for (title, raw) in [("future", "9999-12-31"), ("ancient", "0001-01-01")] {
        let (published, first_seen, estimated, kept) = row(title);
        assert_eq!(published, first_seen, "{title}");
        assert_eq!(estimated, 1, "{title}");
        assert!(kept.is_some_and(|k| k.starts_with(raw)), "{title}");
    }
    let (published, _, estimated, kept) = row("real");
    assert_eq!(
        (published.as_str(), estimated, kept),
        ("2026-02-02T10:00:00Z", 0, None)
    );
    // They no longer match every --since.
    let old = m.run_ok(
        &["items", "--since", "2026-01-01", "--until", "2026-03-01"],
        &[],
    );
    assert!(old.contains("real") && !old.contains("future"), "{old}");
}

#[test]
fn control_characters_from_character_references_never_reach_html_or_url() {
    let m = Mirsad::new();
    let doc = m.write(
        "controls.xml",
        &rss_with(
            "<item><link>https://site.example/a&#x1b;b</link><title>t&#x1b;[31m</title>\
             <description>&lt;p&gt;x&#x1b;[2J&amp;#x7;&amp;#x9b;y&#x9b;&lt;/p&gt;</description></item>",
        ),
    );
    m.run_ok(&["ingest", &doc], &[]);
    let conn = rusqlite::Connection::open(&m.db).unwrap();
    let (url, html, title): (String, String, String) = conn
        .query_row("SELECT url, summary_html, title FROM items", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    for (field, value) in [("url", &url), ("summary_html", &html), ("title", &title)] {
        assert!(!value.chars().any(|c| c.is_control()), "{field}: {value:?}");
        assert!(
            !value.contains("&#x7;") && !value.contains("&#x1b;"),
            "{field}: {value:?}"
        );
    }
}

#[test]
fn ingest_does_not_take_a_feed_identity_from_rel_self() {
    let m = Mirsad::new();
    let victim = "https://victim.example/feed";
    let doc = m.write(
        "takeover.xml",
        &format!(
            r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Forged title</title>
            <link rel="self" href="{victim}"/><link href="https://evil.example/"/>
            <entry><id>urn:x:1</id><title>t</title><link href="https://evil.example/1"/>
            <updated>2026-02-02T10:00:00Z</updated></entry></feed>"#
        ),
    );
    m.run_ok(&["ingest", &doc], &[]);
    let taken: i64 = query(
        &m.db,
        &format!("SELECT count(*) FROM feeds WHERE url = '{victim}'"),
    );
    assert_eq!(taken, 0, "the document named another feed and became it");
    let file_feeds: i64 = query(
        &m.db,
        "SELECT count(*) FROM feeds WHERE url LIKE 'file://%'",
    );
    assert_eq!(file_feeds, 1);
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let m = Mirsad::new();
    {
        let conn = rusqlite::Connection::open(&m.db).unwrap();
        conn.execute_batch("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL);")
            .unwrap();
    }
    let before = std::fs::read(&m.db).unwrap();
    for args in [vec!["items"], vec!["feeds"], vec!["stats"]] {
        let out = m.run(&args, &[]);
        assert_refused(&out, "another program");
    }
    let ingest = m.run(
        &["ingest"],
        &[support::cli::fixture("feeds/aitnews_2025_01.xml")],
    );
    assert_refused(&ingest, "another program");
    assert_eq!(std::fs::read(&m.db).unwrap(), before);
}

#[test]
fn feeds_marks_feeds_removed_from_the_config() {
    let m = Mirsad::new();
    m.run_ok(
        &["ingest"],
        &[support::cli::fixture("feeds/aitnews_2025_01.xml")],
    );
    {
        let conn = rusqlite::Connection::open(&m.db).unwrap();
        conn.execute_batch(
            "INSERT INTO feeds(url, created_at, last_fetch_at)
             VALUES ('https://gone.example/rss', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');",
        )
        .unwrap();
    }
    let config = m.write(
        "mirsad.toml",
        "[[feeds]]\nurl = \"https://kept.example/rss\"\n",
    );
    let out = m.run_ok(&["--config", &config, "feeds", "--json"], &[]);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status = |url: &str| {
        rows.iter()
            .find(|r| r["url"].as_str().is_some_and(|u| u.starts_with(url)))
            .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(status("https://gone.example").as_deref(), Some("removed"));
    assert_eq!(status("https://kept.example").as_deref(), Some("never"));
    assert_ne!(status("file://").as_deref(), Some("removed"), "{out}");
}

/// `cmd` run as the unprivileged user `nobody` when the tests run as root (permissions do not
/// bind root), else as is. `None` when there is no way to drop privileges.
fn as_unprivileged(args: &[&str]) -> Option<Output> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut cmd = if root {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        cmd.arg(env!("CARGO_BIN_EXE_mirsad"));
        cmd
    } else {
        Command::new(env!("CARGO_BIN_EXE_mirsad"))
    };
    cmd.args(args).current_dir("/").env_remove("MIRSAD_CONFIG");
    let out = run_bounded(cmd, None);
    if root && stderr(&out).contains("setpriv") {
        return None;
    }
    Some(out)
}

#[test]
fn a_store_in_a_read_only_directory_can_be_read() {
    use std::os::unix::fs::PermissionsExt;
    let m = Mirsad::new();
    let dir = m.path("ro");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("mirsad.db");
    let db_arg = db.to_str().unwrap().to_owned();
    let writer = Mirsad {
        dir: tempfile::tempdir().unwrap(),
        db: db.clone(),
    };
    writer.run_ok(
        &["ingest"],
        &[support::cli::fixture("feeds/aitnews_2025_01.xml")],
    );
    assert!(
        !dir.join("mirsad.db-wal").exists(),
        "the WAL is gone after a clean close"
    );
    std::fs::set_permissions(m.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = std::fs::read(&db).unwrap();
    for command in ["items", "feeds", "stats"] {
        let Some(out) = as_unprivileged(&["--db", &db_arg, command]) else {
            eprintln!("skipped: cannot drop root privileges here");
            return;
        };
        assert!(out.status.success(), "{command}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty(), "{command}");
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "reading changed nothing"
    );
}

#[test]
fn a_store_this_user_may_not_read_says_permission_denied_and_fails() {
    use std::os::unix::fs::PermissionsExt;
    let m = Mirsad::new();
    let state = m.path("state");
    std::fs::create_dir(&state).unwrap();
    let db = state.join("mirsad.db");
    let writer = Mirsad {
        dir: tempfile::tempdir().unwrap(),
        db: db.clone(),
    };
    writer.run_ok(
        &["ingest"],
        &[support::cli::fixture("feeds/aitnews_2025_01.xml")],
    );
    // The systemd layout: the state directory is the service user's alone.
    std::fs::set_permissions(m.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    let db_arg = db.to_str().unwrap().to_owned();
    for command in ["feeds", "items"] {
        let Some(out) = as_unprivileged(&["--db", &db_arg, command]) else {
            eprintln!("skipped: cannot drop root privileges here");
            return;
        };
        assert_refused(&out, "permission denied");
        assert!(stderr(&out).contains("sudo -u"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("no database"), "{}", stderr(&out));
    }
}

#[test]
fn the_daemon_outlives_a_store_held_busy_longer_than_its_busy_timeout() {
    let m = Mirsad::new();
    m.run_ok(
        &["ingest"],
        &[support::cli::fixture("feeds/aitnews_2025_01.xml")],
    );
    let config = m.write(
        "mirsad.toml",
        "[fetch]\nconnect_timeout = \"1s\"\ntimeout = \"2s\"\n[[feeds]]\nurl = \"http://127.0.0.1:1/a\"\n",
    );
    // Long maintenance in another process holds the write lock for longer than the daemon's
    // 10 s busy timeout, from before the daemon's first write.
    let holder = rusqlite::Connection::open(&m.db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut daemon = m
        .command(&["--config", &config, "run"], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(12));
    holder.execute_batch("COMMIT").unwrap();
    let exited_while_busy = daemon.try_wait().unwrap();
    let fetched = || -> i64 {
        query(
            &m.db,
            "SELECT count(*) FROM feeds WHERE url = 'http://127.0.0.1:1/a' AND last_fetch_at IS NOT NULL",
        )
    };
    let deadline = Instant::now() + Duration::from_secs(25);
    while exited_while_busy.is_none() && fetched() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    let still_running = daemon.try_wait().unwrap().is_none();
    daemon.kill().ok();
    let out = daemon.wait_with_output().unwrap();
    assert!(
        exited_while_busy.is_none() && still_running,
        "the daemon exited: {}",
        stderr(&out)
    );
    assert_eq!(fetched(), 1, "the feed was retried once the store was free");
}
