//! `mirsad ingest PATH...`: local documents through the same pipeline the daemon uses.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::Context;
use super::output::Out;
use crate::feed;
use crate::pipeline::{FeedRef, IngestReport, Pipeline};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Feed documents to ingest; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The feed the documents belong to (default: the file's file:// URL). A document's own
    /// rel="self" link is not trusted: it could name another feed and take over its title.
    #[arg(long, value_name = "URL")]
    pub feed: Option<String>,
    /// Character set to assume when the document declares none (as an HTTP Content-Type
    /// charset would say), e.g. windows-1256.
    #[arg(long, value_name = "NAME")]
    pub charset: Option<String>,
    /// Print one JSON object per document instead of a line of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &IngestArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let pipeline = ctx.pipeline()?;
    let mut store = ctx.open_store()?;
    let mut total = IngestReport::default();
    let mut failed = 0usize;
    for path in &args.paths {
        match ingest_one(&pipeline, &mut store, path, args) {
            Ok((feed_url, report)) => {
                total.add(&report);
                if args.json {
                    let line = serde_json::json!({
                        "path": path, "feed": feed_url, "ok": true,
                        "entries": report.entries, "new": report.new,
                        "updated": report.updated, "unchanged": report.unchanged,
                    });
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(
                        out,
                        "{path}: {} entries: {} new, {} updated, {} unchanged",
                        report.entries, report.new, report.updated, report.unchanged
                    )?;
                }
            }
            Err(err) => {
                failed += 1;
                if args.json {
                    let line =
                        serde_json::json!({"path": path, "ok": false, "error": err.to_string()});
                    writeln!(out, "{line}")?;
                }
                eprintln!("mirsad: {path}: {err:#}");
            }
        }
    }
    // One settling for the whole call: the documents' items are placed together, in report
    // order, as if they had come in one document.
    let store = std::cell::RefCell::new(store);
    if let Err(err) = pipeline.settle_stories(|| store.borrow_mut()) {
        failed += 1;
        eprintln!("mirsad: putting the new items into stories failed: {err:#}");
    }
    if args.paths.len() > 1 && !args.json {
        writeln!(
            out,
            "total: {} documents ({failed} failed), {} new, {} updated, {} unchanged",
            args.paths.len(),
            total.new,
            total.updated,
            total.unchanged
        )?;
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads, parses and stores one document; returns the feed it was filed under.
fn ingest_one(
    pipeline: &Pipeline,
    store: &mut Store,
    path: &str,
    args: &IngestArgs,
) -> anyhow::Result<(String, IngestReport)> {
    let bytes = read_document(path)?;
    let parsed = feed::parse(&bytes, args.charset.as_deref())?;
    // Never the document's rel="self": a document must not pick which feed it speaks for.
    let feed_url = match args.feed.as_deref() {
        Some(url) => url.to_owned(),
        None => file_url(path),
    };
    let feed = FeedRef {
        url: &feed_url,
        name: None,
    };
    let report = pipeline.store_parsed(store, feed, &parsed, chrono::Utc::now())?;
    Ok((feed_url, report))
}

/// A document larger than this is refused (counted in bytes read: `/dev/zero` has no length).
const MAX_DOCUMENT_BYTES: u64 = 256 * 1024 * 1024;

fn read_document(path: &str) -> anyhow::Result<Vec<u8>> {
    let read = if path == "-" {
        crate::files::read_capped_from(std::io::stdin().lock(), MAX_DOCUMENT_BYTES)
    } else {
        crate::files::read_capped(Path::new(path), MAX_DOCUMENT_BYTES)
    };
    read.map_err(|e| anyhow::anyhow!("cannot read the file: {e}"))
}

/// The file:// URL of a path (made absolute); stdin is `file:///dev/stdin`.
fn file_url(path: &str) -> String {
    if path == "-" {
        return "file:///dev/stdin".to_owned();
    }
    let absolute = std::path::absolute(Path::new(path)).unwrap_or_else(|_| path.into());
    url::Url::from_file_path(&absolute)
        .map(String::from)
        .unwrap_or_else(|()| format!("file://{}", absolute.display()))
}
