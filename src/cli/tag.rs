//! `mirsad tag`: tags text from stdin without storing anything.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use clap::Args;
use serde::Deserialize;

use super::Context;
use super::output::Out;
use crate::tagger::{MODEL_RULE_PREFIX, TagResult, Tagger, Tagging};

#[derive(Debug, Args)]
pub struct TagArgs {
    /// JSON Lines in and out: `{"id", "title", "summary"}` per input line, one object with its
    /// tags per output line (`--jsonl` is the old name).
    #[arg(long, alias = "jsonl")]
    pub json: bool,
    /// Show each matched rule with its words and score, the model's strongest features, and the
    /// near-misses.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Deserialize)]
struct InputItem {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
}

/// Stdin (or one JSON line) longer than this is not an item to tag.
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The next line of `reader` without its newline; `None` at the end. A line longer than
/// [`MAX_INPUT_BYTES`] is an error found after reading at most that much of it.
fn read_line_capped(
    reader: &mut impl std::io::BufRead,
    number: usize,
) -> anyhow::Result<Option<String>> {
    let mut buf = Vec::new();
    let read = Read::take(&mut *reader, MAX_INPUT_BYTES + 1).read_until(b'\n', &mut buf)?;
    if read == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() as u64 > MAX_INPUT_BYTES {
        anyhow::bail!("line {number} of stdin is longer than 16 MiB; this is not an item to tag");
    }
    let line = String::from_utf8(buf)
        .map_err(|_| anyhow::anyhow!("line {number} of stdin is not UTF-8 text"))?;
    Ok(Some(
        line.strip_suffix('\r').map(str::to_owned).unwrap_or(line),
    ))
}

pub fn run(ctx: &Context, args: &TagArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let tagger = ctx.tagger()?;
    if args.json {
        return tag_jsonl(&tagger, out);
    }
    // Counted in bytes read: `mirsad tag < /dev/zero` must not read until memory runs out.
    let bytes = crate::files::read_capped_from(std::io::stdin().lock(), MAX_INPUT_BYTES)
        .map_err(|e| anyhow::anyhow!("cannot read stdin: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("stdin is not UTF-8 text"))?;
    let (title, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let tagging = tagger.tag(title, body);
    out.write_all(render(&tagging, args.explain).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// One output line per input line; a malformed line gets an error object and the rest go on.
fn tag_jsonl(tagger: &Tagger, out: &mut Out) -> anyhow::Result<ExitCode> {
    let mut stdin = std::io::stdin().lock();
    for index in 0.. {
        let Some(line) = read_line_capped(&mut stdin, index + 1)? else {
            break;
        };
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<InputItem>(&line) {
            Ok(item) => {
                let tagging = tagger.tag(&item.title, &item.summary);
                jsonl_output(item.id, &tagging)
            }
            Err(err) => serde_json::json!({
                "line": index + 1,
                "error": format!("not a JSON object with id, title, summary: {err}"),
            }),
        };
        serde_json::to_writer(&mut *out, &value)?;
        out.write_all(b"\n")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn jsonl_output(id: serde_json::Value, tagging: &Tagging) -> serde_json::Value {
    let tags: Vec<&str> = tagging.tags.iter().map(|t| t.tag.as_str()).collect();
    let score: serde_json::Map<String, serde_json::Value> = tagging
        .tags
        .iter()
        .map(|t| (t.tag.clone(), serde_json::json!(t.score)))
        .collect();
    let evidence: Vec<serde_json::Value> = tagging
        .tags
        .iter()
        .flat_map(|t| {
            t.evidence.iter().map(move |e| {
                let mut value = serde_json::to_value(e).unwrap_or_default();
                if let Some(object) = value.as_object_mut() {
                    object.insert("tag".into(), serde_json::json!(t.tag));
                }
                value
            })
        })
        .collect();
    serde_json::json!({"id": id, "tags": tags, "score": score, "evidence": evidence})
}

/// Human output: the tags with scores; with `explain`, every piece of evidence and the near-misses.
pub fn render(tagging: &Tagging, explain: bool) -> String {
    let mut text = String::new();
    if tagging.tags.is_empty() {
        text.push_str("no tags\n");
    }
    for tag in &tagging.tags {
        render_tag(&mut text, tag, explain);
    }
    if explain && !tagging.near_misses.is_empty() {
        text.push_str("near misses (below the threshold):\n");
        for miss in &tagging.near_misses {
            render_tag(&mut text, miss, true);
        }
    }
    text
}

fn render_tag(text: &mut String, tag: &TagResult, explain: bool) {
    text.push_str(&format!("{:<22} {:>6.2}\n", tag.tag, tag.score));
    if explain {
        for e in &tag.evidence {
            if e.rule.starts_with(MODEL_RULE_PREFIX) {
                // The model's evidence lists the features that weighed most, in the item's words.
                text.push_str(&format!(
                    "    model ({})  {}\n",
                    e.context.as_deref().unwrap_or(""),
                    e.matched
                ));
                continue;
            }
            text.push_str(&format!(
                "    {:<5} «{}»  rule {}  {:+.2}\n",
                e.field.as_str(),
                e.matched,
                e.rule,
                e.weight
            ));
        }
    }
}
