//! The web face, run as the real binary on 127.0.0.1: every route's status, content type and
//! content; hostile feed text rendered inert; judgements recorded from the item page; the JSON
//! API's pages and errors; live feeds with 304s; health and metrics; and the access rules.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, LOCATION, WWW_AUTHENTICATE,
};
use serde_json::Value;
use support::cli::{Mirsad, fixture};
use support::web::{Served, client, fixture_store as store};

/// "رقاقات" (chips), percent-encoded for a URL.
const CHIPS: &str = "%D8%B1%D9%82%D8%A7%D9%82%D8%A7%D8%AA";

fn serve(m: &Mirsad, extra: &[&str]) -> Served {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Served::start(m.command(&args, &[]))
}

async fn get(url: &str) -> (StatusCode, String, String) {
    let response = client().get(url).send().await.unwrap();
    let status = response.status();
    let kind = header(&response, CONTENT_TYPE.as_str());
    (status, kind, response.text().await.unwrap())
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn items_json(m: &Mirsad) -> Vec<Value> {
    m.run_ok(&["items", "--json", "--limit", "1000"], &[])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn hostile_id(m: &Mirsad) -> i64 {
    items_json(m)
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("<script>"))
        .expect("the hostile item is stored with its markup as text")["id"]
        .as_i64()
        .unwrap()
}

const FORM: &str = "application/x-www-form-urlencoded";

/// A form body, as a browser encodes it.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(pairs);
    body.finish()
}

/// The CSRF token in an item page's forms.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn every_page_answers_html_in_arabic_with_its_content() {
    let m = store();
    let web = serve(&m, &[]);
    let chips = items_json(&m)
        .into_iter()
        .find(|i| {
            i["title"]
                .as_str()
                .unwrap()
                .contains("ترامب يسمح ببيع رقاقات")
        })
        .unwrap();
    let (id, story) = (
        chips["id"].as_i64().unwrap(),
        chips["story"].as_i64().unwrap(),
    );

    let response = client().get(web.url("/?days=3650")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = header(&response, CONTENT_SECURITY_POLICY.as_str());
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    let home = response.text().await.unwrap();
    assert!(home.contains("<html lang=\"ar\" dir=\"rtl\">"), "{home}");
    assert!(home.contains("ترامب يسمح ببيع رقاقات إنفيديا"), "{home}");
    assert!(home.contains(&format!("href=\"/story/{story}\"")));
    assert!(!home.contains("<script"), "pages need no JavaScript");

    // Filtered to a subtopic the chips story has, and to one it has not.
    let (_, _, chips_only) = get(&web.url("/?days=3650&tag=chips")).await;
    assert!(chips_only.contains("ترامب يسمح ببيع رقاقات"));
    let (_, _, energy) = get(&web.url("/?days=3650&tag=energy")).await;
    assert!(!energy.contains("ترامب يسمح ببيع رقاقات"));

    let (status, kind, search) = get(&web.url(&format!("/search?q={CHIPS}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        search.contains("ببيع <mark>رقاقات</mark> إنفيديا"),
        "{search}"
    );

    let (status, _, item) = get(&web.url(&format!("/item/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        item.contains("<mark>"),
        "evidence is marked in the text: {item}"
    );
    assert!(
        item.contains("ai-infra/chips") && item.contains("Aitnews"),
        "{item}"
    );
    assert!(item.contains(&format!("action=\"/item/{id}/judgement\"")));

    let (status, _, story_page) = get(&web.url(&format!("/story/{story}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(story_page.contains("class=\"timeline\"") && story_page.contains("ترامب"));

    let (status, _, feeds) = get(&web.url("/feeds")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        feeds.contains("Hespress") && feeds.contains("<table"),
        "{feeds}"
    );

    let (status, kind, css) = get(&web.url("/static/mirsad.css")).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/css; charset=utf-8")
    );
    assert!(
        css.contains("font-family") && !css.contains("http"),
        "no fonts from outside"
    );

    for missing in [
        "/item/99999",
        "/story/99999",
        "/no/such/page",
        "/../etc/passwd",
    ] {
        let (status, kind, _) = get(&web.url(missing)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        assert!(kind.starts_with("text/html"), "{missing}: {kind}");
    }
}

#[tokio::test]
async fn hostile_feed_text_renders_as_inert_text() {
    let m = store();
    let id = hostile_id(&m);
    let web = serve(&m, &[]);
    // The feeds page shows the hostile outlet's name, which has no markup left to escape.
    let pages = [
        (format!("/item/{id}"), true),
        (format!("/search?q={CHIPS}"), true),
        ("/?days=3650".to_owned(), true),
        ("/feeds".to_owned(), false),
    ];
    for (path, shows_title) in pages {
        let (status, _, page) = get(&web.url(&path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        if shows_title {
            assert!(
                page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{path}: {page}"
            );
        }
        for active in [
            "<script",
            "<img",
            "<b ",
            "onmouseover=\"",
            "href=\"javascript:",
        ] {
            assert!(!page.contains(active), "{path} contains {active}: {page}");
        }
        assert!(!page.contains('\u{202E}'), "{path} keeps the bidi override");
    }
}

#[tokio::test]
async fn the_judgement_form_records_a_judgement_like_mirsad_label() {
    let m = store();
    let web = serve(&m, &[]);
    let untagged = items_json(&m)
        .into_iter()
        .find(|i| i["tags"].as_array().unwrap().is_empty())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let action = web.url(&format!("/item/{untagged}/judgement"));
    let (_, _, page) = get(&web.url(&format!("/item/{untagged}"))).await;
    let token = csrf(&page);

    // Not our form: a wrong token, or a cross-site post with the right one.
    let forged = client()
        .post(&action)
        .header(CONTENT_TYPE, FORM)
        .body(form(&[
            ("csrf", "0".repeat(64).as_str()),
            ("action", "add"),
            ("tag", "energy"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let cross = client()
        .post(&action)
        .header("sec-fetch-site", "cross-site")
        .header(CONTENT_TYPE, FORM)
        .body(form(&[
            ("csrf", token.as_str()),
            ("action", "add"),
            ("tag", "energy"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let item = |m: &Mirsad| {
        items_json(m)
            .into_iter()
            .find(|i| i["id"] == untagged)
            .unwrap()
    };
    assert!(item(&m).get("judgement").is_none(), "nothing stored yet");

    let added = client()
        .post(&action)
        .header(CONTENT_TYPE, FORM)
        .body(form(&[
            ("csrf", token.as_str()),
            ("action", "add"),
            ("tag", "energy"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(&added, LOCATION.as_str()),
        format!("/item/{untagged}")
    );
    let judged = item(&m);
    assert_eq!(
        judged["tags"],
        serde_json::json!(["ai-infra", "ai-infra/energy"])
    );
    assert_eq!(
        judged["judgement"]["add"],
        serde_json::json!(["ai-infra/energy"])
    );
    let (_, _, page) = get(&web.url(&format!("/item/{untagged}"))).await;
    assert!(
        page.contains("يدوي"),
        "the page shows the tag as set by hand"
    );

    let not = client()
        .post(&action)
        .header(CONTENT_TYPE, FORM)
        .body(form(&[("csrf", token.as_str()), ("action", "not")]))
        .send()
        .await
        .unwrap();
    assert_eq!(not.status(), StatusCode::SEE_OTHER);
    let judged = item(&m);
    assert_eq!(judged["tags"], serde_json::json!([]));
    assert_eq!(
        judged["judgement"]["remove"],
        serde_json::json!(["ai-infra"])
    );

    let bad = client()
        .post(&action)
        .header(CONTENT_TYPE, FORM)
        .body(form(&[
            ("csrf", token.as_str()),
            ("action", "add"),
            ("tag", "chip"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("did you mean ai-infra/chips")
    );
}

#[tokio::test]
async fn the_api_pages_with_cursors_and_answers_errors_in_json() {
    let m = store();
    let web = serve(&m, &[]);
    let mut seen = Vec::new();
    let mut url = web.url("/api/v1/items?limit=7");
    for _ in 0..10 {
        let response = client().get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, CONTENT_TYPE.as_str()), "application/json");
        let page: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => url = web.url(&format!("/api/v1/items?limit=7&cursor={cursor}")),
            None => break,
        }
    }
    let cli_ids: Vec<i64> = items_json(&m)
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seen, cli_ids,
        "pages cover every item once, in the CLI's order"
    );

    let cli_first = &items_json(&m)[0];
    let (_, _, first) = get(&web.url("/api/v1/items?limit=1")).await;
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(&first["items"][0], cli_first, "same fields as items --json");

    let (_, _, stories) = get(&web.url("/api/v1/stories?tag=chips&limit=200")).await;
    let stories: Value = serde_json::from_str(&stories).unwrap();
    let story = &stories["stories"][0];
    assert!(
        story["tags"]
            .as_array()
            .unwrap()
            .contains(&"ai-infra/chips".into())
    );
    let (status, _, one) = get(&web.url(&format!("/api/v1/stories/{}", story["id"]))).await;
    assert_eq!(status, StatusCode::OK);
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one["story"]["id"], story["id"]);
    assert_eq!(
        one["items"].as_array().unwrap().len() as i64,
        story["items"].as_i64().unwrap()
    );

    let (_, _, found) = get(&web.url(&format!("/api/v1/search?q={CHIPS}"))).await;
    let found: Value = serde_json::from_str(&found).unwrap();
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"].as_str().unwrap().contains("رقاقات"))
    );

    let item_id = cli_first["id"].as_i64().unwrap();
    let (_, _, item) = get(&web.url(&format!("/api/v1/items/{item_id}"))).await;
    let item: Value = serde_json::from_str(&item).unwrap();
    assert_eq!(item["item"]["id"], item_id);
    assert!(item["item"]["summary"].is_string() && item["item"]["feeds"].is_array());

    let (_, _, feeds) = get(&web.url("/api/v1/feeds")).await;
    let feeds: Value = serde_json::from_str(&feeds).unwrap();
    assert_eq!(feeds["feeds"].as_array().unwrap().len(), 4);
    let (_, _, tags) = get(&web.url("/api/v1/tags")).await;
    let tags: Value = serde_json::from_str(&tags).unwrap();
    assert_eq!(tags["tags"][0]["tag"], "ai-infra");

    let errors = [
        ("/api/v1/items?limit=0", StatusCode::BAD_REQUEST),
        ("/api/v1/items?cursor=forged", StatusCode::BAD_REQUEST),
        ("/api/v1/items?tag=nonsense", StatusCode::BAD_REQUEST),
        ("/api/v1/items?since=yesterday", StatusCode::BAD_REQUEST),
        ("/api/v1/search", StatusCode::BAD_REQUEST),
        ("/api/v1/stories/999999", StatusCode::NOT_FOUND),
        ("/api/v1/items/999999", StatusCode::NOT_FOUND),
        ("/api/v1/nothing", StatusCode::NOT_FOUND),
    ];
    for (path, expected) in errors {
        let response = client().get(web.url(path)).send().await.unwrap();
        assert_eq!(response.status(), expected, "{path}");
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(body["error"]["status"], expected.as_u16(), "{path}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let long = "ك".repeat(201);
    let (status, _, _) = get(&web.url(&format!("/api/v1/search?q={long}"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn live_feeds_send_validators_and_answer_304() {
    let m = store();
    let web = serve(&m, &[]);
    let response = client()
        .get(web.url("/feeds/ai-infra.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, CONTENT_TYPE.as_str()),
        "application/atom+xml; charset=utf-8"
    );
    let etag = header(&response, ETAG.as_str());
    let modified = header(&response, LAST_MODIFIED.as_str());
    let atom = response.text().await.unwrap();
    assert!(atom.contains("<feed") && atom.contains("رقاقات"), "{atom}");
    assert!(!etag.is_empty() && !modified.is_empty());

    let again = client()
        .get(web.url("/feeds/ai-infra.atom"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.text().await.unwrap().is_empty());
    let dated = client()
        .get(web.url("/feeds/ai-infra.atom"))
        .header(IF_MODIFIED_SINCE, &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(dated.status(), StatusCode::NOT_MODIFIED);

    // A judgement changes what the feed holds, so the old validator no longer matches.
    let id = items_json(&m)
        .into_iter()
        .find(|i| i["tags"].as_array().unwrap().is_empty())
        .unwrap()["id"]
        .to_string();
    m.run_ok(&["label", &id, "--add", "chips"], &[]);
    let changed = client()
        .get(web.url("/feeds/ai-infra.atom"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, ETAG.as_str()), etag);

    let (status, kind, rss) = get(&web.url("/feeds/chips.rss")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        kind.starts_with("application/rss+xml") && rss.contains("<rss"),
        "{kind}"
    );
    let (status, kind, lines) = get(&web.url("/feeds/ai-infra/chips.jsonl?stories=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("application/x-ndjson"), "{kind}");
    for line in lines.lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        assert!(
            entry["tags"].to_string().contains("ai-infra/chips"),
            "{entry}"
        );
    }
    for missing in ["/feeds/nonsense.atom", "/feeds/chips.html", "/feeds/chips"] {
        let (status, _, _) = get(&web.url(missing)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn healthz_and_metrics_report_the_store() {
    let m = store();
    let web = serve(&m, &[]);
    let (status, kind, health) = get(&web.url("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        kind.starts_with("text/plain") && health.starts_with("ok:"),
        "{health}"
    );
    get(&web.url("/no/such/page")).await;
    let (status, kind, metrics) = get(&web.url("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    for line in [
        "mirsad_items 31",
        "mirsad_feeds 4",
        "mirsad_feeds_failing 0",
        "mirsad_http_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "mirsad_store_size_bytes ",
        "mirsad_tagged_items ",
    ] {
        assert!(metrics.contains(line), "{line} missing in:\n{metrics}");
    }
}

#[tokio::test]
async fn a_token_guards_everything_but_healthz_and_the_network_needs_one() {
    let m = store();
    let config = m.write("mirsad.toml", "[http]\ntoken = \"s3cret\"\n");
    let web = serve(&m, &["--config", &config]);
    let denied = client().get(web.url("/")).send().await.unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    assert!(header(&denied, WWW_AUTHENTICATE.as_str()).starts_with("Basic"));
    for path in [
        "/api/v1/items",
        "/metrics",
        "/feeds/ai-infra.atom",
        "/item/1",
    ] {
        let (status, _, _) = get(&web.url(path)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, _, _) = get(&web.url("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let bearer = client()
        .get(web.url("/api/v1/items"))
        .header(AUTHORIZATION, "Bearer s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let basic = client()
        .get(web.url("/"))
        .basic_auth("analyst", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    let wrong = client()
        .get(web.url("/"))
        .basic_auth("analyst", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // The token alone does not make a write: the form's CSRF token is still needed.
    let write = client()
        .post(web.url("/item/1/judgement"))
        .header(AUTHORIZATION, "Bearer s3cret")
        .header(CONTENT_TYPE, FORM)
        .body(form(&[("csrf", "x"), ("action", "not")]))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN);

    // Beyond loopback without a token, serve refuses to start and says why.
    let out = m.run(&["serve", "--listen", "0.0.0.0:0"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without an access token"),
        "{err}"
    );
    assert!(err.contains("[http]"), "{err}");
}

#[tokio::test]
async fn serve_reads_a_read_only_database_and_refuses_writes() {
    use std::os::unix::fs::PermissionsExt;
    let m = store();
    let dir = m.dir.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    let copy = dir.join("copy.db");
    m.run_ok(&["stats"], &[]); // a clean checkpointed file to copy
    std::fs::copy(&m.db, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let privileged = std::fs::write(dir.join("probe"), "").is_ok();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mirsad"));
    cmd.arg("--db")
        .arg(&copy)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    cmd.current_dir(m.dir.path()).env_remove("MIRSAD_CONFIG");
    let web = Served::start(cmd);
    let (status, _, home) = get(&web.url("/?days=3650")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("ترامب يسمح ببيع رقاقات"));
    let (_, _, page) = get(&web.url("/item/1")).await;
    let write = client()
        .post(web.url("/item/1/judgement"))
        .header(CONTENT_TYPE, FORM)
        .body(form(&[("csrf", csrf(&page).as_str()), ("action", "not")]))
        .send()
        .await
        .unwrap();
    // Root writes whatever the permissions say; anyone else gets "read-only".
    if !privileged {
        assert_eq!(write.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(write.text().await.unwrap().contains("read-only"));
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn run_serves_the_pages_beside_the_daemon() {
    let server = support::http_server::TestServer::start().await;
    let feed = std::fs::read(fixture("feeds/aitnews_2025_01.xml")).unwrap();
    server.route("/feed.xml", support::http_server::Route::ok(feed));
    let m = Mirsad::new();
    let config = m.write(
        "mirsad.toml",
        &format!(
            "[http]\nlisten = \"127.0.0.1:0\"\n[[feeds]]\nurl = \"{}\"\n",
            server.url("/feed.xml")
        ),
    );
    let web = Served::start(m.command(&["--config", &config, "run"], &[]));
    let mut items = 0;
    for _ in 0..100 {
        let (_, _, body) = get(&web.url("/api/v1/items?limit=200")).await;
        let page: Value = serde_json::from_str(&body).unwrap();
        items = page["items"].as_array().unwrap().len();
        if items == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(items, 10, "the daemon's fetch shows in the API");
    let (status, _, health) = get(&web.url("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(health.contains("last fetch"), "{health}");
    // The daemon's own counters, once its cycle has ended (items are visible a moment before).
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = get(&web.url("/metrics")).await.2;
        if metrics.contains("mirsad_cycle_duration_seconds_count 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for line in [
        "mirsad_fetches_total{outcome=\"ok\"} 1",
        "mirsad_fetch_duration_seconds_count 1",
        "mirsad_items_stored_total{change=\"new\"} 10",
        "mirsad_tags_given_total{tag=\"ai-infra\"}",
        "mirsad_cycle_duration_seconds_count 1",
        "mirsad_last_cycle_timestamp_seconds",
    ] {
        assert!(
            metrics.contains(line),
            "no {line:?} in /metrics:\n{metrics}"
        );
    }

    // The daemon holds the store's lock; the refused start below must be refused for the token.
    drop(web);
    let open = m.write(
        "open.toml",
        &format!(
            "[http]\nlisten = \"0.0.0.0:0\"\n[[feeds]]\nurl = \"{}\"\n",
            server.url("/feed.xml")
        ),
    );
    let out = m.run(&["--config", &open, "run"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("without an access token"));
    assert_eq!(
        server.hits("/feed.xml"),
        1,
        "the refused daemon fetched nothing"
    );
}
