//! Child processes with a time bound: mirsad without any config file, and independent checks
//! in Python (feedparser, Debian's `python3-feedparser`, validates the Atom and RSS exports; the
//! `csv` module reads the CSV export).

use std::process::{Command, Output, Stdio};

use super::cli::Mirsad;

/// Runs `cmd` to completion (killed after a minute), collecting its output.
pub fn bounded(cmd: Command) -> Output {
    super::cli::run_bounded(cmd, None)
}

/// mirsad with `--db` and no config at all (no `$MIRSAD_CONFIG`; the working directory has no
/// config/mirsad.toml), as on a machine where only the database exists.
pub fn mirsad(m: &Mirsad, args: &[&str]) -> Output {
    let mut cmd = m.command(args, &[]);
    cmd.env_remove("MIRSAD_CONFIG");
    bounded(cmd)
}

/// [`mirsad`], asserting success; returns stdout.
pub fn mirsad_ok(m: &Mirsad, args: &[&str]) -> String {
    let out = mirsad(m, args);
    assert!(
        out.status.success(),
        "mirsad {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A Python interpreter that can import `module`. CI installs `python3-feedparser` (.ci/run);
/// a pyenv `python3` may not see Debian's packages, so the system one is tried too.
pub fn python_with(module: &str) -> String {
    for candidate in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(candidate)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return candidate.to_owned();
        }
    }
    panic!(
        "no python3 with the `{module}` module: install it (apt-get install python3-feedparser) \
         or run .ci/run, which does"
    );
}

/// Runs `script` with `args` under a Python that has `module`; returns stdout, panics on failure.
pub fn python(module: &str, script: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(python_with(module));
    cmd.arg("-c")
        .arg(script)
        .args(args)
        .env("PYTHONIOENCODING", "utf-8");
    let out = bounded(cmd);
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Parses a feed file with feedparser: `{bozo, bozo_exception, version, title, entries:
/// [{id, title, link, tags, published}]}`.
pub fn feedparser(path: &str) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
print(json.dumps({
    "bozo": int(d.bozo),
    "bozo_exception": str(d.get("bozo_exception", "")),
    "version": d.version,
    "title": d.feed.get("title"),
    "self": [l.get("href") for l in d.feed.get("links", []) if l.get("rel") == "self"],
    "entries": [{
        "id": e.get("id"),
        "title": e.get("title"),
        "link": e.get("link"),
        "tags": [t.get("term") for t in e.get("tags", [])],
        "published": e.get("published_parsed") is not None,
    } for e in d.entries],
}, ensure_ascii=False))
"#;
    serde_json::from_str(&python("feedparser", SCRIPT, &[path])).unwrap()
}
