//! A spreadsheet (Office Open XML, `.xlsx`) for analysts who live in Excel or LibreOffice:
//! CSV's Arabic is garbled when LibreOffice or Excel guess its encoding, an `.xlsx` file carries
//! its text as Unicode and opens the same everywhere.
//!
//! The sheet reads right to left, its header row stays in view, dates are real dates, links are
//! clickable (http and https only), and every tag is a column holding its score, so a filter on a
//! column selects a subtopic. Cells are written as strings, never as formulas, so a hostile title
//! cannot run.

use std::io::Write;

use rust_xlsxwriter::{ExcelDateTime, Format, Url, Workbook, Worksheet, XlsxError};

use super::sanitize::clean_title;
use super::{ExportError, entry_id};
use crate::store::ExportItem;
use crate::tagger::{SUBTOPICS, UMBRELLA};

/// Columns before the tag columns.
const HEADER: [&str; 8] = [
    "id",
    "published_at",
    "first_seen_at",
    "title",
    "url",
    "feeds",
    "summary",
    "entry_id",
];

/// Excel's limits: rows per sheet, characters per cell, characters per link.
const MAX_ROWS: usize = 1_048_575;
const MAX_CELL_CHARS: usize = 32_767;
const MAX_URL_CHARS: usize = 2_079;

pub(super) fn write(items: &[ExportItem], out: &mut dyn Write) -> Result<(), ExportError> {
    if items.len() > MAX_ROWS {
        return Err(ExportError::TooManyRows {
            items: items.len(),
            max: MAX_ROWS,
        });
    }
    let mut workbook = Workbook::new();
    fill_sheet(workbook.add_worksheet(), items).map_err(ExportError::Xlsx)?;
    let bytes = workbook.save_to_buffer().map_err(ExportError::Xlsx)?;
    out.write_all(&bytes)?;
    Ok(())
}

fn tag_columns() -> impl Iterator<Item = &'static str> {
    std::iter::once(UMBRELLA).chain(SUBTOPICS.iter().copied())
}

fn fill_sheet(sheet: &mut Worksheet, items: &[ExportItem]) -> Result<(), XlsxError> {
    sheet.set_name("mirsad")?;
    sheet.set_right_to_left(true);
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let score = Format::new().set_num_format("0.00");
    let headers: Vec<&str> = HEADER.iter().copied().chain(tag_columns()).collect();
    for (col, name) in (0u16..).zip(&headers) {
        sheet.write_string_with_format(0, col, *name, &bold)?;
    }
    for (row, item) in (1u32..).zip(items) {
        sheet.write_number(row, 0, item.id as f64)?;
        write_time(sheet, row, 1, &item.published_at, &date)?;
        write_time(sheet, row, 2, &item.first_seen_at, &date)?;
        sheet.write_string(row, 3, cell_text(&clean_title(&item.title)))?;
        if let Some(url) = item.url.as_deref() {
            write_link(sheet, row, 4, url)?;
        }
        let feeds: Vec<&str> = item.feeds.iter().map(|f| f.display_name()).collect();
        sheet.write_string(row, 5, cell_text(&feeds.join(" | ")))?;
        sheet.write_string(row, 6, cell_text(&item.summary))?;
        sheet.write_string(row, 7, entry_id(&item.identity))?;
        for (col, tag) in (HEADER.len() as u16..).zip(tag_columns()) {
            if let Some(t) = item.tags.iter().find(|t| t.tag == tag) {
                sheet.write_number_with_format(row, col, t.score, &score)?;
            }
        }
    }
    let last_col = (headers.len() as u16).saturating_sub(1);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, items.len() as u32, last_col)?;
    sheet.set_column_width(1, 17)?;
    sheet.set_column_width(2, 17)?;
    sheet.set_column_width(3, 70)?;
    sheet.set_column_width(4, 40)?;
    sheet.set_column_width(5, 24)?;
    sheet.set_column_width(6, 80)?;
    Ok(())
}

/// A stored UTC time as a spreadsheet date; text if it is not one (never an error).
fn write_time(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    time: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    let plain = time.trim_end_matches('Z');
    match ExcelDateTime::parse_from_str(plain) {
        Ok(when) => sheet.write_datetime_with_format(row, col, &when, format)?,
        Err(_) => sheet.write_string(row, col, cell_text(time))?,
    };
    Ok(())
}

/// A clickable link for http(s) URLs that fit Excel's limit; anything else as plain text.
fn write_link(sheet: &mut Worksheet, row: u32, col: u16, url: &str) -> Result<(), XlsxError> {
    let web = url::Url::parse(url)
        .map(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or(false);
    if web
        && url.chars().count() <= MAX_URL_CHARS
        && sheet.write_url(row, col, Url::new(url)).is_ok()
    {
        return Ok(());
    }
    sheet.write_string(row, col, cell_text(url))?;
    Ok(())
}

/// Text cut to what one cell holds.
fn cell_text(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_to_one_cells_limit_on_a_char_boundary() {
        let text = "ب".repeat(MAX_CELL_CHARS + 10);
        let cut = cell_text(&text);
        assert_eq!(cut.chars().count(), MAX_CELL_CHARS);
        assert_eq!(cell_text("short"), "short");
    }

    #[test]
    fn tag_columns_are_the_umbrella_then_every_subtopic() {
        let columns: Vec<&str> = tag_columns().collect();
        assert_eq!(columns.first(), Some(&UMBRELLA));
        assert_eq!(columns.len(), 1 + SUBTOPICS.len());
    }
}
