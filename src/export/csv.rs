//! CSV (RFC 4180: comma-separated, CRLF line ends, fields with commas, quotes or line breaks
//! quoted) for spreadsheets. The header is a contract, documented in docs/schema.md.
//!
//! A spreadsheet runs a cell beginning with `=`, `+`, `-` or `@` (and, in some, tab or carriage
//! return) as a formula, so a hostile feed could put `=HYPERLINK(…)` in a title. Such cells get
//! a leading `'`, which spreadsheets read as "this is text".

use std::borrow::Cow;
use std::io::Write;

use super::sanitize::clean_title;
use super::{ExportError, entry_id};
use crate::store::ExportItem;

/// The header row, in order.
pub const CSV_HEADER: [&str; 15] = [
    "id",
    "entry_id",
    "published_at",
    "first_seen_at",
    "updated_at",
    "title",
    "url",
    "author",
    "feeds",
    "feed_names",
    "tags",
    "scores",
    "summary",
    "language",
    "direction",
];

/// Separator inside the `feeds` and `feed_names` cells.
const LIST_SEP: &str = " | ";

pub(super) fn write(
    items: &[ExportItem],
    bom: bool,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    if bom {
        out.write_all("\u{FEFF}".as_bytes())?;
    }
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for item in items {
        let cells = row(&super::sanitize::safe_links(item));
        writer.write_record(
            cells
                .iter()
                .map(|cell| neutralize(cell))
                .map(|c| c.into_owned()),
        )?;
    }
    writer.flush()?;
    Ok(())
}

fn row(item: &ExportItem) -> [String; 15] {
    let join = |values: Vec<&str>, sep: &str| values.join(sep);
    [
        item.id.to_string(),
        entry_id(&item.identity),
        item.published_at.clone(),
        item.first_seen_at.clone(),
        item.updated_at.clone().unwrap_or_default(),
        clean_title(&item.title),
        item.url.clone().unwrap_or_default(),
        item.author.as_deref().map(clean_title).unwrap_or_default(),
        join(
            item.feeds.iter().map(|f| f.url.as_str()).collect(),
            LIST_SEP,
        ),
        join(
            item.feeds.iter().map(|f| f.display_name()).collect(),
            LIST_SEP,
        ),
        join(item.tags.iter().map(|t| t.tag.as_str()).collect(), " "),
        item.tags
            .iter()
            .map(|t| t.score.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        item.summary.clone(),
        item.language.clone().unwrap_or_default(),
        item.direction.clone(),
    ]
}

/// A cell a spreadsheet would run as a formula, made text with a leading `'`.
///
/// `=` and `@` always start a formula; tab and carriage return hide one behind whitespace. A
/// leading `+` or `-` starts one only when a formula follows: `+971 4 …` (a phone number),
/// `-20% …` or `- خبر` are numbers or text to a spreadsheet and stay as written, while `-1+1`,
/// `+A1`, `-SUM(…)` and `+cmd|…` would run.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if runs_as_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn runs_as_formula(cell: &str) -> bool {
    let Some(first) = cell.chars().next() else {
        return false;
    };
    match first {
        '=' | '@' | '\t' | '\r' => true,
        '+' | '-' => {
            let rest = cell.get(1..).unwrap_or("");
            // The first word after the sign decides: `-20% of …` and `+971 4 …` are text.
            let word = rest.split(char::is_whitespace).next().unwrap_or("");
            let is_number = |w: &str| {
                let w = w.trim_end_matches('%');
                !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
            };
            // Nothing after the sign, or a number (`-20`, `+971`, `-20%`) then words: text,
            // unless a function call or DDE link (`-1 +cmd|' /C calc'!A0`) hides further on.
            if word.is_empty() || is_number(word) {
                return calls_something(rest);
            }
            // Anything else after a sign that a spreadsheet could evaluate: a reference, a
            // function, an operator, a quote, a paren, another sign or `=`.
            word.starts_with(|c: char| c.is_ascii_alphanumeric() || "=+-@(\"'|!$.".contains(c))
        }
        _ => false,
    }
}

/// A DDE link (`cmd|…`) or a function call (`HYPERLINK(`), the parts of a formula that reach
/// outside the cell; `H200 (تقرير)` is neither.
fn calls_something(text: &str) -> bool {
    let mut previous_latin = false;
    for c in text.chars() {
        if c == '|' || (c == '(' && previous_latin) {
            return true;
        }
        previous_latin = c.is_ascii_alphanumeric() || c == '_' || c == '.';
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::item;
    use super::*;

    fn render(items: &[ExportItem], bom: bool) -> String {
        let mut buf = Vec::new();
        write(items, bom, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn formula_cells_are_neutralized_and_others_kept() {
        for hostile in [
            "=1+1",
            "-1+1",
            "+A1",
            "-SUM(A1:A9)",
            "+cmd|' /C calc'!A0",
            "-=1",
            "-1 +cmd|' /C calc'!A0",
            "+1 + HYPERLINK(\"http://x\")",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralize(hostile), format!("'{hostile}"), "{hostile}");
        }
        // What people write that no spreadsheet runs keeps its first character.
        for plain in [
            "-20% على رقاقات إنفيديا",
            "+971 4 123 4567",
            "-20",
            "+971",
            "- خبر عاجل",
            "+ إضافة",
            "-20% على رقاقات إنفيديا H200 (تقرير)",
        ] {
            assert_eq!(neutralize(plain), plain, "{plain}");
        }
        assert_eq!(neutralize("إنفيديا = 1"), "إنفيديا = 1");
        assert_eq!(neutralize(""), "");
    }

    #[test]
    fn header_then_one_crlf_row_per_item_with_quoted_multiline_cells() {
        let mut it = item("a", &["ai-infra", "ai-infra/chips"]);
        it.summary = "سطر, أول\nسطر \"ثان\"".into();
        it.title = "=HYPERLINK(\"http://evil\")".into();
        let text = render(&[it], false);
        assert!(text.starts_with(&format!("{}\r\n", CSV_HEADER.join(","))));
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
            "{text}"
        );
        assert!(text.contains("\"سطر, أول\nسطر \"\"ثان\"\"\""), "{text}");
        assert!(text.contains(",ai-infra ai-infra/chips,2.5 2.5,"), "{text}");
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn bom_only_when_asked() {
        assert!(render(&[], true).starts_with('\u{FEFF}'));
        assert!(render(&[], false).starts_with("id,"));
    }
}
