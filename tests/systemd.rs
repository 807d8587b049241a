//! The systemd unit is valid and hardened: `systemd-analyze verify` reports nothing and the
//! offline security exposure stays at or below 1.5.

use std::process::Command;

/// The unit with `ExecStart` pointing at the binary under test (verify checks that it exists).
fn unit_under_test(dir: &std::path::Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/mirsad.service"
    ))
    .unwrap();
    let unit = unit.replace("/usr/local/bin/mirsad", env!("CARGO_BIN_EXE_mirsad"));
    let path = dir.join("mirsad.service");
    std::fs::write(&path, unit).unwrap();
    path
}

fn systemd_analyze() -> Option<Command> {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok();
    // CI installs systemd; a developer machine without it cannot run this check.
    assert!(
        found || std::env::var_os("CI").is_none(),
        "systemd-analyze missing in CI"
    );
    found.then(|| Command::new("systemd-analyze"))
}

#[test]
fn unit_passes_systemd_analyze_verify_without_any_output() {
    let Some(mut cmd) = systemd_analyze() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_under_test(dir.path());
    let out = cmd
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Unknown keys are only warnings with exit status 0: any output is a failure.
    assert!(
        stderr.trim().is_empty(),
        "systemd-analyze verify said: {stderr}"
    );
}

#[test]
fn unit_exposure_score_is_at_most_one_and_a_half() {
    let Some(mut cmd) = systemd_analyze() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_under_test(dir.path());
    let out = cmd
        .args(["security", "--offline=yes"])
        .arg(&unit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("{text}"));
    let score: f64 = line
        .split(':')
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read the score in {line}"));
    assert!(score <= 1.5, "{line}");
}
