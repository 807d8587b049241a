//! Marking words in hostile text without ever treating it as markup: the text is cut into
//! pieces at byte ranges and every piece is escaped by the template; only the `<mark>` around a
//! piece is ours.

use std::ops::Range;

use maud::{Markup, html};

/// Feed text for display: bidi override and isolate controls removed (they could make a title
/// read as something else), whitespace collapsed.
pub fn clean(text: &str) -> String {
    crate::export::sanitize::clean_title(text)
}

/// Where the words of `query` occur in `text`, matched as search matches them: normalized and
/// stemmed, so "مراكز البيانات" marks "ومراكزُ بياناتها".
pub fn query_ranges(text: &str, query: &str) -> Vec<Range<usize>> {
    let wanted = crate::arabic::stemmed_tokens(query);
    crate::arabic::analyze(text)
        .into_iter()
        .filter(|token| wanted.contains(&token.stem))
        .map(|token| token.start..token.end)
        .collect()
}

/// Where any of `phrases` (as the text spells them, e.g. a tag's evidence) occurs in `text`.
pub fn phrase_ranges<'p>(
    text: &str,
    phrases: impl IntoIterator<Item = &'p str>,
) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    for phrase in phrases {
        if phrase.trim().is_empty() {
            continue;
        }
        ranges.extend(text.match_indices(phrase).map(|(at, p)| at..at + p.len()));
    }
    ranges
}

/// `text` with `ranges` in `<mark>`; overlapping or touching ranges merge, ranges that are out
/// of bounds or not on character boundaries are ignored.
pub fn marked(text: &str, ranges: Vec<Range<usize>>) -> Markup {
    let pieces = pieces(text, ranges);
    html! {
        @for (piece, mark) in pieces {
            @if mark { mark { (piece) } } @else { (piece) }
        }
    }
}

fn pieces(text: &str, mut ranges: Vec<Range<usize>>) -> Vec<(&str, bool)> {
    ranges.retain(|r| r.start < r.end && text.get(r.clone()).is_some());
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for range in merged {
        if let Some(before) = text.get(at..range.start).filter(|p| !p.is_empty()) {
            out.push((before, false));
        }
        if let Some(inside) = text.get(range.clone()) {
            out.push((inside, true));
        }
        at = range.end;
    }
    if let Some(rest) = text.get(at..).filter(|p| !p.is_empty()) {
        out.push((rest, false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_marked_in_any_form() {
        let text = "توسعة ومراكزُ بياناتها في الرياض";
        let ranges = query_ranges(text, "مراكز البيانات");
        let marked: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(marked, ["ومراكزُ", "بياناتها"]);
    }

    #[test]
    fn marked_text_is_escaped_and_ranges_merge() {
        let text = "<b>chips</b> & chips";
        let html = marked(text, phrase_ranges(text, ["chips", "chips</b>"])).into_string();
        assert_eq!(
            html,
            "&lt;b&gt;<mark>chips&lt;/b&gt;</mark> &amp; <mark>chips</mark>"
        );
    }

    #[test]
    fn ranges_off_character_boundaries_are_ignored() {
        let html = marked("مرصاد", vec![1..3, 0..99]).into_string();
        assert_eq!(html, "مرصاد");
    }

    #[test]
    fn bidi_overrides_are_removed_for_display() {
        assert_eq!(clean("a\u{202E}b\u{2066}c  d"), "abc d");
    }
}
