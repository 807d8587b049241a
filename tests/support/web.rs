//! Runs `mirsad serve` (or `mirsad run`) on 127.0.0.1 with a free port, learns the address
//! from its log line, and kills it when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::cli::{Mirsad, fixture};

/// How long the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Served {
    child: Child,
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `cmd` (whose log goes to stderr) and waits for "web pages at http://…/".
    pub fn start(mut cmd: Command) -> Served {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        cmd.env("MIRSAD_LOG", "info");
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Keep draining stderr after the address, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("web pages at http://") {
                    let url = line[at + "web pages at ".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches('/')
                        .to_owned();
                    let _ = tx.send(Ok(url));
                } else if line.starts_with("mirsad: ") {
                    let _ = tx.send(Err(line));
                }
            }
        });
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(base)) => Served { child, base },
            Ok(Err(line)) => {
                let _ = child.kill();
                panic!("the server did not start: {line}");
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the server printed no address within {START_TIMEOUT:?}");
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A client that does not follow redirects and gives up after 20 s.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A store of the three real Arabic fixture feeds plus one hostile feed (30 + 1 items).
pub fn fixture_store() -> Mirsad {
    let m = Mirsad::new();
    m.run_ok(
        &[
            "ingest",
            &fixture("feeds/aitnews_2025_01.xml"),
            &fixture("feeds/alittihad_2026_01.xml"),
            &fixture("feeds/hespress_2026_01.xml"),
            &fixture("web/hostile.xml"),
        ],
        &[],
    );
    m
}
