//! Runs the real `mirsad` binary against a temporary database, with a bounded run time.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Longest any single command may take in a test before it counts as a hang.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A temporary directory with a database path, and helpers to run mirsad in it.
pub struct Mirsad {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

/// Absolute path of a file under tests/fixtures.
pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

impl Mirsad {
    pub fn new() -> Mirsad {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mirsad.db");
        Mirsad { dir, db }
    }

    /// The command with `--db` set and no config unless the test passes one.
    pub fn command(&self, args: &[&str], extra: &[String]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirsad"));
        cmd.arg("--db").arg(&self.db);
        cmd.args(args).args(extra);
        cmd.current_dir(self.dir.path());
        // No config unless a test passes --config: the default config/mirsad.toml is looked up
        // relative to the temporary directory, where there is none.
        cmd.env_remove("MIRSAD_CONFIG").env_remove("JOURNAL_STREAM");
        cmd
    }

    /// Runs to completion (killed after [`COMMAND_TIMEOUT`]).
    pub fn run(&self, args: &[&str], extra: &[String]) -> Output {
        run_bounded(self.command(args, extra), None)
    }

    /// Runs with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        run_bounded(self.command(args, &[]), Some(input))
    }

    /// Runs and asserts success; returns stdout.
    pub fn run_ok(&self, args: &[&str], extra: &[String]) -> String {
        let out = self.run(args, extra);
        assert!(
            out.status.success(),
            "mirsad {args:?} {extra:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        self.write_bytes(name, text.as_bytes())
    }

    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Runs `cmd` to completion with `input` on stdin, draining its output; a hang past
/// [`COMMAND_TIMEOUT`] fails the test.
pub fn run_bounded(mut cmd: Command, input: Option<&str>) -> Output {
    use std::io::{Read, Write};
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = input {
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_owned();
        std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    }
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            pipe.read_to_end(&mut buf).ok();
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            child.kill().ok();
            panic!("mirsad did not finish within {COMMAND_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}
