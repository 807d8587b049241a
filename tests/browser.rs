//! The web face in a real browser: Debian's Chromium, driven over WebDriver by chromedriver.
//!
//! Opens the home page of a store filled from the fixtures, checks that it lays out right to
//! left, searches in Arabic, opens an item and corrects its tags with the page's own button, then
//! checks that the judgement is in the store. Screenshots land in `target/tmp/browser/` for a
//! person to look at.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` the test says so and passes, unless
//! `MIRSAD_BROWSER_TEST=require` (set by `.ci/run`, which installs both): then it fails.

mod support;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use support::cli::Mirsad;
use support::web::{Served, fixture_store};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The whole walk through the pages, browser start included.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    /// Kills chromedriver's whole process group: the browser it started too, even when a failed
    /// assertion left the session open.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = format!("{}/status", driver.url);
        loop {
            let ready = reqwest::get(&status)
                .await
                .ok()
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ready {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A headless Chromium with its own empty profile and no traffic of its own: this machine's
    /// network is closed, and Chromium's background services would only fail.
    async fn browser(&self, profile: &Path) -> Client {
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap()
    }
}

fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        assert_ne!(
            std::env::var("MIRSAD_BROWSER_TEST").as_deref(),
            Ok("require"),
            "MIRSAD_BROWSER_TEST=require but {CHROMIUM} or {CHROMEDRIVER} is missing \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "skipped: no {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        );
    }
    present
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn click(browser: &Client, what: Locator<'_>) {
    browser.find(what).await.unwrap().click().await.unwrap();
}

async fn script(browser: &Client, code: &str) -> Value {
    browser.execute(code, vec![]).await.unwrap()
}

/// Waits until the page's path starts with `prefix` (a click's navigation has landed).
async fn wait_for_path(browser: &Client, prefix: &str) {
    wait_for(browser, prefix, |url| url.path().starts_with(prefix)).await;
}

/// Waits until the loaded page's address satisfies `arrived`.
async fn wait_for(browser: &Client, what: &str, arrived: impl Fn(&url::Url) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = browser.current_url().await.unwrap();
        let ready = script(browser, "return document.readyState").await;
        if arrived(&url) && ready == "complete" {
            return;
        }
        assert!(Instant::now() < deadline, "never reached {what}: at {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn item(m: &Mirsad, id: i64) -> Value {
    m.run_ok(&["items", "--json", "--limit", "1000"], &[])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|item| item["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in the store"))
}

fn judgement_of(m: &Mirsad, id: i64) -> Option<Value> {
    item(m, id).get("judgement").cloned()
}

fn item_tags(m: &Mirsad, id: i64) -> Vec<String> {
    serde_json::from_value(item(m, id)["tags"].clone()).unwrap()
}

#[tokio::test]
async fn a_person_reads_searches_and_corrects_a_tag_in_chromium() {
    if !browser_available() {
        return;
    }
    let m = fixture_store();
    let web = Served::start(m.command(&["serve", "--listen", "127.0.0.1:0"], &[]));
    let driver = Driver::start().await;
    let browser = driver.browser(&m.path("chromium-profile")).await;
    let walk = tokio::time::timeout(TEST_TIMEOUT, walk_through(&browser, &web, &m)).await;
    let _ = browser.close().await;
    walk.expect("the walk through the pages took longer than its bound");
}

async fn walk_through(browser: &Client, web: &Served, m: &Mirsad) {
    // Home: Arabic, right to left, and the text of its heading hugs the right edge.
    browser.goto(&web.url("/")).await.unwrap();
    wait_for_path(browser, "/").await;
    let layout = script(
        browser,
        "const h = document.querySelector('h1, h2');
         const r = document.createRange(); r.selectNodeContents(h);
         const box = r.getBoundingClientRect();
         return { lang: document.documentElement.lang, dir: document.documentElement.dir,
                  direction: getComputedStyle(document.body).direction,
                  left: box.left, right: window.innerWidth - box.right };",
    )
    .await;
    assert_eq!(layout["lang"], "ar", "{layout}");
    assert_eq!(layout["dir"], "rtl", "{layout}");
    assert_eq!(layout["direction"], "rtl", "{layout}");
    let (left, right) = (
        layout["left"].as_f64().unwrap(),
        layout["right"].as_f64().unwrap(),
    );
    assert!(
        right < left,
        "the heading's text sits on the left: {layout}"
    );
    screenshot(browser, "home").await;

    // To the search page by its link, search in Arabic as a person types it, and see the
    // matched words marked.
    click(browser, Locator::Css("nav a[href='/search']")).await;
    wait_for_path(browser, "/search").await;
    let query = browser.find(Locator::Css("input[name='q']")).await.unwrap();
    query.send_keys("رقاقات").await.unwrap();
    click(browser, Locator::Css("form.search button[type='submit']")).await;
    wait_for(browser, "search results", |url| {
        url.path() == "/search" && url.query_pairs().any(|(k, v)| k == "q" && !v.is_empty())
    })
    .await;
    screenshot(browser, "search").await;
    let marks = browser.find_all(Locator::Css("mark")).await.unwrap();
    assert!(
        !marks.is_empty(),
        "no highlighted match on the results page"
    );

    // Open a real outlet's report among the results (the chip-sale news).
    click(
        browser,
        Locator::XPath("//a[starts-with(@href, '/item/')][contains(., 'ببيع')]"),
    )
    .await;
    wait_for_path(browser, "/item/").await;
    let url = browser.current_url().await.unwrap();
    let id: i64 = url
        .path()
        .trim_start_matches("/item/")
        .parse()
        .unwrap_or_else(|_| panic!("not an item page: {url}"));
    screenshot(browser, "item").await;
    assert_eq!(judgement_of(m, id), None, "nothing judged yet");

    // Correct it with the page's own button: "not about AI infrastructure".
    click(browser, Locator::Css("button[value='not']")).await;
    wait_for_path(browser, &format!("/item/{id}")).await;
    screenshot(browser, "item-corrected").await;
    let judgement = judgement_of(m, id).expect("the judgement is in the store");
    assert_eq!(judgement["remove"], json!(["ai-infra"]), "{judgement}");
    let tags = item_tags(m, id);
    assert!(tags.iter().all(|t| !t.starts_with("ai-infra")), "{tags:?}");
    let page = browser.source().await.unwrap();
    assert!(
        page.contains("value=\"clear\""),
        "the page offers to undo it"
    );
}
