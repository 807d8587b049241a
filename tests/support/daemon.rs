//! A daemon (`mirsad run`, not `--once`) under test: signals, and bounded waits for what it does.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Sends signal `name` (`HUP`, `TERM`, …) to the child.
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status();
    assert!(status.unwrap().success());
}

/// Waits for `condition`, polling, for at most `limit`.
pub async fn wait_for(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Waits for the child to exit; kills it and fails after `limit`.
pub async fn wait_exit(mut child: Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("the daemon did not exit within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
