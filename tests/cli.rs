//! The command line's rough edges (issue 16), driven through the real binary: filters that
//! refuse what they do not know, a closed stdout, colour, where the store lives, what `check`
//! reports, cursor batches and what commands print.

mod support;

use std::process::{Command, Stdio};

use support::cli::{Mirsad, fixture, run_bounded};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A store with the aitnews fixture, ingested as a named feed.
fn ingested() -> Mirsad {
    let m = Mirsad::new();
    m.run_ok(
        &[
            "ingest",
            "--feed",
            "https://aitnews.com/feed/",
            &fixture("feeds/aitnews_2025_01.xml"),
        ],
        &[],
    );
    m
}

#[test]
fn check_refuses_an_unknown_export_tag_with_its_line_and_the_closest_tag() {
    let m = Mirsad::new();
    let config = m.write(
        "c.toml",
        "[[exports]]\npath = \"a.atom\"\nformat = \"atom\"\ntag = \"ai-infra/chip\"\n",
    );
    let out = m.run(&["--config", &config, "check"], &[]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("c.toml:4:"), "{stderr}");
    assert!(stderr.contains("did you mean ai-infra/chips"), "{stderr}");

    // A short subtopic name is a tag, in exports as on the command line.
    let short = m.write(
        "short.toml",
        "[http]\nlisten = \"\"\n[[exports]]\npath = \"a.atom\"\nformat = \"atom\"\ntag = \"chips\"\n",
    );
    m.run_ok(&["--config", &short, "check"], &[]);
}

#[test]
fn check_lists_every_unknown_key_on_its_own_line() {
    let m = Mirsad::new();
    let config = m.write(
        "c.toml",
        "databse = \"x.db\"\n[fetch]\nconcurency = 2\n[[feeds]]\nurl = \"https://a.example/f\"\nintervl = \"1h\"\n",
    );
    let out = m.run(&["--config", &config, "check"], &[]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    for (line, key, suggestion) in [
        (":1:", "databse", "database"),
        (":3:", "concurency", "concurrency"),
        (":6:", "intervl", "interval"),
    ] {
        assert!(
            lines.iter().any(|l| l.contains(line)
                && l.contains(key)
                && l.contains(&format!("did you mean `{suggestion}`"))),
            "no line of its own for {key}: {stderr}"
        );
    }
    assert!(stderr.contains("3 problems"), "{stderr}");
}

#[test]
fn an_unknown_feed_is_refused_with_the_closest_one() {
    let m = ingested();
    for command in [
        &["items"][..],
        &["search", "إنفيديا"],
        &["export", "--format", "jsonl"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--feed", "https://aitnews.com/fed/"]);
        let out = m.run(&args, &[]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("did you mean https://aitnews.com/feed/"),
            "{args:?}: {stderr}"
        );
    }
    // The right URL, and the feed's own title as `items` shows it, are feeds.
    let items = m.run_ok(
        &["items", "--feed", "https://aitnews.com/feed/", "--json"],
        &[],
    );
    assert!(items.lines().count() > 0);
    let first: serde_json::Value = serde_json::from_str(items.lines().next().unwrap()).unwrap();
    assert_eq!(first["feeds"][0], "https://aitnews.com/feed/");
    let feeds = m.run_ok(&["feeds", "--json"], &[]);
    let feed: serde_json::Value = serde_json::from_str(feeds.lines().next().unwrap()).unwrap();
    let title = feed["title"].as_str().unwrap();
    let by_title = m.run_ok(&["items", "--feed", title, "--json"], &[]);
    assert_eq!(by_title.lines().count(), items.lines().count());
}

/// Runs `args` with stdout a pipe whose reader is already gone, as after `| head -1` read its line.
fn with_closed_stdout(m: &Mirsad, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = m.command(args, &[]);
    cmd.stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // `run_bounded` needs a piped stdout; the reader-less pipe is what this test is about.
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    out
}

#[test]
fn a_closed_stdout_is_a_quiet_success() {
    let m = ingested();
    for args in [
        &["items"][..],
        &["items", "--json"],
        &["search", "إنفيديا"],
        &["export", "--format", "atom"],
        &["export", "--format", "csv"],
        &["stats"],
        &["stats", "--json"],
        &["feeds"],
    ] {
        let out = with_closed_stdout(&m, args);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{args:?}: {:?} {}",
            out.status,
            text(&out.stderr)
        );
    }
}

#[test]
fn logs_carry_no_colour_when_stderr_is_not_a_terminal() {
    let m = Mirsad::new();
    let out = m.run(
        &["-vv", "ingest", &fixture("feeds/aitnews_2025_01.xml")],
        &[],
    );
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(!stderr.is_empty(), "-vv logged nothing");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape codes in a pipe: {stderr:?}"
    );
}

#[test]
fn the_default_store_lives_beside_a_named_config() {
    let m = Mirsad::new();
    std::fs::create_dir(m.path("conf")).unwrap();
    std::fs::create_dir(m.path("elsewhere")).unwrap();
    m.write("conf/m.toml", "[http]\nlisten = \"\"\n");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirsad"));
    cmd.args(["--config", "../conf/m.toml", "ingest"])
        .arg(fixture("feeds/aitnews_2025_01.xml"))
        .current_dir(m.path("elsewhere"))
        .env_remove("MIRSAD_CONFIG")
        .env_remove("STATE_DIRECTORY");
    let out = run_bounded(cmd, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(m.path("conf/data/mirsad.db").exists());
    assert!(!m.path("elsewhere/data").exists());
}

#[test]
fn an_explicit_db_in_a_missing_directory_is_refused_not_created() {
    let m = Mirsad::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirsad"));
    cmd.args(["--db", "typo/mirsad.db", "ingest"])
        .arg(fixture("feeds/aitnews_2025_01.xml"))
        .current_dir(m.dir.path())
        .env_remove("MIRSAD_CONFIG");
    let out = run_bounded(cmd, None);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("typo") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(!m.path("typo").exists());
}

#[test]
fn a_cursor_export_with_nothing_new_writes_no_file() {
    let m = ingested();
    let first = m.path("batch-1.jsonl");
    let second = m.path("batch-2.atom");
    let args = |format: &'static str, out: &std::path::Path| {
        vec![
            "export".to_owned(),
            "--format".into(),
            format.into(),
            "--cursor".into(),
            "job".into(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    m.run_ok(&[], &args("jsonl", &first));
    assert!(std::fs::metadata(&first).unwrap().len() > 0);
    m.run_ok(&[], &args("atom", &second));
    assert!(!second.exists(), "an empty batch file was written");
}

#[test]
fn stories_outside_the_filter_do_not_suggest_restory() {
    // The fixture is from January 2025: stories exist, none in the last week.
    let m = ingested();
    let out = m.run(&["items", "--stories", "--since", "7d"], &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success());
    assert!(stderr.contains("no stories match"), "{stderr}");
    assert!(!stderr.contains("restory"), "{stderr}");
}

#[test]
fn restory_reports_its_result_once() {
    let m = ingested();
    let out = m.run(&["restory"], &[]);
    assert!(out.status.success());
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(all.matches("re-clustered").count(), 1, "{all}");
}

#[test]
fn json_means_json_lines_and_tag_keeps_jsonl_as_an_alias() {
    let m = Mirsad::new();
    let input =
        "{\"id\":1,\"title\":\"إنفيديا تطلق رقاقات جديدة لمراكز البيانات\",\"summary\":\"\"}\n";
    for flag in ["--json", "--jsonl"] {
        let out = m.run_with_stdin(&["tag", flag], input);
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        let line: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
        assert_eq!(line["id"], 1);
    }
    let help = m.run_ok(&["tag", "--help"], &[]);
    let options: Vec<&str> = help.lines().map(str::trim_start).collect();
    assert!(
        options.iter().any(|l| l.starts_with("--json "))
            && !options.iter().any(|l| l.starts_with("--jsonl")),
        "{help}"
    );
    let m = ingested();
    let stats = m.run_ok(&["stats", "--json"], &[]);
    assert_eq!(stats.lines().count(), 1, "{stats}");
}

/// The `tag --explain` example in docs/taxonomy.md §5 is what the binary prints: each line
/// exactly, or up to its `…` where the doc elides the rest.
#[test]
fn the_documented_explain_output_is_the_real_one() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/taxonomy.md")).unwrap();
    let section = docs.split("## 5. Why was this item tagged").nth(1).unwrap();
    let example = section
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let m = Mirsad::new();
    let mut runs = 0;
    for block in example.split("$ echo \"").skip(1) {
        let (input, rest) = block.split_once("\" | mirsad tag --explain\n").unwrap();
        let out = m.run_with_stdin(&["tag", "--explain"], &format!("{input}\n"));
        let printed = text(&out.stdout);
        let printed: Vec<&str> = printed.lines().collect();
        let documented: Vec<&str> = rest.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(printed.len(), documented.len(), "{input}: {printed:#?}");
        for (real, doc) in printed.iter().zip(&documented) {
            let prefix = doc.split(" …").next().unwrap_or(doc);
            let matches = if doc.contains('…') {
                real.starts_with(prefix)
            } else {
                real == doc
            };
            assert!(matches, "{input}:\n doc:  {doc}\n real: {real}");
        }
        runs += 1;
    }
    assert_eq!(runs, 2);
}
