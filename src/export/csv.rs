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
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
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
        for hostile in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(hostile), format!("'{hostile}"));
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
