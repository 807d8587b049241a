//! Standard output and human output: every command writes through one locked, buffered
//! [`Out`]; tables line up with Arabic text (display width, not bytes), with bidi override
//! characters removed so a title cannot disguise itself.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::arabic::strip_bidi_controls;

/// Set once a write to stdout found its reader gone (`mirsad items | head -1`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether stdout's reader went away: the command's output is unwanted, not failed, so
/// `main` exits 0 without a word, as ripgrep does, however the error that followed is wrapped.
pub(crate) fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Every command's standard output: stdout locked once, and buffered in blocks when it is a
/// pipe or a file (a terminal keeps stdout's own line buffering, so a person sees each line as
/// it comes). Commands never `println!`, which panics on a closed pipe.
pub(crate) struct Out {
    inner: Box<dyn Write>,
}

impl Out {
    pub(crate) fn stdout() -> Out {
        let stdout = std::io::stdout();
        let inner: Box<dyn Write> = if stdout.is_terminal() {
            Box::new(stdout.lock())
        } else {
            Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock()))
        };
        Out { inner }
    }

    /// Whether stdout is a terminal (tables fit its width, charts are drawn, binary refused).
    pub(crate) fn is_terminal(&self) -> bool {
        std::io::stdout().is_terminal()
    }
}

/// Remembers a broken pipe on the way through.
fn note<T>(result: std::io::Result<T>) -> std::io::Result<T> {
    if let Err(err) = &result
        && err.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
    result
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        note(self.inner.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        note(self.inner.write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        note(self.inner.flush())
    }
}

/// A simple left-aligned table; the last column takes what width is left and is cut to fit.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.iter().map(|c| clean(c)).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Prints to `out`; on a terminal the last column is cut to the terminal's width.
    pub(crate) fn print(&self, out: &mut Out) -> std::io::Result<()> {
        let width = terminal_width();
        out.write_all(self.render(width).as_bytes())
    }

    pub fn render(&self, total_width: Option<usize>) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.width());
                }
            }
        }
        if let (Some(total), Some(last)) = (total_width, widths.last_mut()) {
            let others: usize =
                widths_sum_except_last(&self.headers, &self.rows) + 2 * (columns - 1);
            *last = (*last).min(total.saturating_sub(others).max(10));
        }
        let mut text = String::new();
        push_line(&mut text, &self.headers, &widths);
        for row in &self.rows {
            push_line(&mut text, row, &widths);
        }
        text
    }
}

fn widths_sum_except_last(headers: &[String], rows: &[Vec<String>]) -> usize {
    let columns = headers.len().saturating_sub(1);
    (0..columns)
        .map(|i| {
            let cells = rows.iter().filter_map(|r| r.get(i));
            cells
                .map(|c| c.width())
                .chain(headers.get(i).map(|h| h.width()))
                .max()
                .unwrap_or(0)
        })
        .sum()
}

fn push_line(text: &mut String, cells: &[String], widths: &[usize]) {
    let last = widths.len().saturating_sub(1);
    for (i, width) in widths.iter().enumerate() {
        let cell = cells.get(i).map(String::as_str).unwrap_or("");
        let cut = truncate(cell, *width);
        text.push_str(&cut);
        if i < last {
            text.push_str(&" ".repeat(width.saturating_sub(cut.width()) + 2));
        }
    }
    text.push('\n');
}

/// Cuts `text` to at most `width` display columns, marking the cut with `…`.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// One line of display text: bidi controls removed, whitespace collapsed.
pub fn clean(text: &str) -> String {
    // Control characters (ESC and the C1 CSI among them) would reach the terminal as escape
    // sequences.
    strip_bidi_controls(text)
        .replace(|c: char| c.is_control() && !c.is_whitespace(), "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The terminal's width when stdout is a terminal.
fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or(Some(120))
}

/// Prints one JSON value per line.
pub(crate) fn print_json_lines<T: serde::Serialize>(
    out: &mut Out,
    values: &[T],
) -> anyhow::Result<()> {
    for value in values {
        serde_json::to_writer(&mut *out, value)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A progress bar over `total` items on stderr when it is a terminal; hidden otherwise, so logs
/// and pipes stay clean.
pub fn item_progress(total: i64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} items  {elapsed} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_by_display_width_with_arabic() {
        let mut table = Table::new(&["A", "TITLE"]);
        table.row(vec!["إنفيديا".into(), "x".into()]);
        table.row(vec!["ab".into(), "y".into()]);
        let text = table.render(None);
        let lines: Vec<&str> = text.lines().collect();
        let col = |line: &str, needle: char| line[..line.find(needle).unwrap()].width();
        assert_eq!(col(lines[1], 'x'), col(lines[2], 'y'));
    }

    #[test]
    fn truncation_respects_width_and_marks_the_cut() {
        let cut = truncate("مراكز البيانات العملاقة", 8);
        assert!(cut.width() <= 8);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn cells_lose_bidi_overrides_and_newlines() {
        assert_eq!(clean("a\u{202E}b\n c"), "ab c");
    }
}
