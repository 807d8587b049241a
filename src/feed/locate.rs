//! Names *where* a broken XML document breaks, in words and with a line number.
//!
//! feed-rs reports XML errors without a position ("MismatchedEndTag"), and operators need a line
//! to show the publisher. When feed-rs fails, this scanner walks the same text and names the first
//! structural problem and its line: a tag that does not match, a document cut off inside a tag, a
//! second root element, a stray `<` or `&`. It also finds the root element (to accept odd RSS
//! versions) and later XML declarations (which make feed-rs panic).

use super::text::is_entity_reference;
use super::xml_tokens::{Token, tokens};

/// The first structural problem in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlProblem {
    pub line: usize,
    pub message: String,
}

/// 1-based line of a byte offset.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    super::encoding::line_of_byte(text.as_bytes(), offset)
}

/// The first structural problem, in document order, or `None` for well-formed structure.
pub(crate) fn first_problem(text: &str) -> Option<XmlProblem> {
    let problem = |message: String, offset: usize| {
        Some(XmlProblem {
            line: line_at(text, offset),
            message,
        })
    };
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut root_seen = false;
    for token in tokens(text) {
        match token {
            Err((message, offset)) => return problem(message, offset),
            Ok(Token::Start {
                name, start, empty, ..
            }) => {
                if open.is_empty() && root_seen {
                    return problem(
                        format!(
                            "a second root element <{name}> after the end of the first; two documents were probably joined"
                        ),
                        start,
                    );
                }
                root_seen = true;
                if !empty {
                    open.push((name, start));
                }
            }
            Ok(Token::End { name, start }) => match open.pop() {
                Some((expected, _)) if expected == name => {}
                Some((expected, opened)) => {
                    let line = line_at(text, opened);
                    return problem(
                        format!("</{name}> closes <{expected}>, which was opened at line {line}"),
                        start,
                    );
                }
                None => return problem(format!("</{name}> has no matching opening tag"), start),
            },
            Ok(Token::Text { start, end }) => {
                let chunk = text.get(start..end).unwrap_or_default();
                if open.is_empty() && !chunk.trim().is_empty() {
                    let place = if root_seen {
                        "after the end of"
                    } else {
                        "before"
                    };
                    return problem(format!("text {place} the root element"), start);
                }
                let bytes = chunk.as_bytes();
                let stray = bytes.iter().enumerate().find(|&(i, &b)| {
                    b == b'&' && !is_entity_reference(bytes.get(i + 1..).unwrap_or_default())
                });
                if let Some((i, _)) = stray {
                    return problem("a bare `&` (it must be written &amp;)".into(), start + i);
                }
            }
            Ok(Token::Instruction { target, start }) => {
                if target.eq_ignore_ascii_case("xml")
                    && !text.get(..start).unwrap_or_default().trim().is_empty()
                {
                    return problem("a second XML declaration (<?xml …?>) inside the document; two documents were probably joined".into(), start);
                }
            }
            Ok(Token::Other) => {}
        }
    }
    match open.last() {
        Some((name, opened)) => {
            let line = line_at(text, *opened);
            problem(
                format!(
                    "the document ends before <{name}> (opened at line {line}) is closed; it was probably cut off"
                ),
                text.len(),
            )
        }
        None if !root_seen => problem("the document has no root element".into(), text.len()),
        None => None,
    }
}

/// The line of an XML declaration that is not at the start of the document, if any. feed-rs
/// (quick-xml) panics on one that names another encoding, so these are refused up front.
pub(crate) fn later_declaration(text: &str) -> Option<usize> {
    // Fast path: most documents have at most one `<?xml`, at the start.
    let first = text.find("<?xml")?;
    if !text.get(first + 1..).unwrap_or_default().contains("<?xml")
        && text.get(..first)?.trim().is_empty()
    {
        return None;
    }
    let mut seen_any = false;
    for token in tokens(text) {
        match token {
            Ok(Token::Instruction { target, start })
                if target.eq_ignore_ascii_case("xml") && seen_any =>
            {
                return Some(line_at(text, start));
            }
            Ok(Token::Text { start, end })
                if text.get(start..end).unwrap_or_default().trim().is_empty() => {}
            Ok(_) => seen_any = true,
            // Broken markup: without tokens to tell CDATA from markup, any declaration that is
            // not the document's first thing counts (found by fuzzing: quick-xml panics on it).
            Err(_) => return declaration_after_start(text),
        }
    }
    None
}

/// The line of a `<?xml` that does not open the document, by plain text search.
fn declaration_after_start(text: &str) -> Option<usize> {
    let opening = text.len() - text.trim_start().len();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("<?xml")) {
        let at = from + found;
        if at != opening {
            return Some(line_at(text, at));
        }
        from = at + 1;
    }
    None
}

/// The root element's name and the byte range of its start tag.
pub(crate) fn root_tag(text: &str) -> Option<(&str, std::ops::Range<usize>)> {
    tokens(text)
        .map_while(Result::ok)
        .find_map(|token| match token {
            Token::Start {
                name, start, end, ..
            } => Some((name, start..end)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/hostile/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn broken_fixtures_name_their_problem_and_line() {
        for (name, needle) in [
            ("bad_truncated.xml", "cut off"),
            ("bad_unclosed.xml", "</item> closes <title>"),
            ("bad_mismatched.xml", "</foo> closes <title>"),
            ("bad_two_roots.xml", "second XML declaration"),
            ("bad_amp.xml", "bare `&`"),
        ] {
            let problem =
                first_problem(&fixture(name)).unwrap_or_else(|| panic!("{name}: no problem found"));
            assert_eq!(problem.line, 1, "{name}");
            assert!(
                problem.message.contains(needle),
                "{name}: {}",
                problem.message
            );
        }
    }

    #[test]
    fn lines_are_counted_from_one() {
        let text = "<rss>\n<channel>\n<title>t</titel>\n</channel></rss>";
        let problem = first_problem(text).unwrap();
        assert_eq!(problem.line, 3);
        assert!(
            problem.message.contains("opened at line 3"),
            "{}",
            problem.message
        );
        let cut = "<rss>\n<channel>\n<item>";
        assert_eq!(first_problem(cut).unwrap().line, 3);
        assert!(
            first_problem(cut)
                .unwrap()
                .message
                .contains("<item> (opened at line 3)")
        );
    }

    #[test]
    fn well_formed_documents_have_no_problem() {
        for name in [
            "billion_laughs.xml",
            "xxe.xml",
            "dates.xml",
            "bad_entity_nbsp.xml",
        ] {
            assert_eq!(first_problem(&fixture(name)), None, "{name}");
        }
        let cdata = "<?xml version=\"1.0\"?><r a='1 > 0' b=\"&amp;\"><![CDATA[a & b <c>]]><!-- & < --><e/></r>";
        assert_eq!(first_problem(cdata), None);
    }

    #[test]
    fn junk_after_the_root_is_reported() {
        let problem = first_problem(&fixture("bad_junk_after_root.xml")).unwrap();
        assert!(
            problem.message.contains("second root element <junk>"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn a_declaration_after_broken_markup_is_found_too() {
        // Fuzzing found this shape: broken markup first, then a declaration with an encoding.
        let text =
            "<\u{7f}1ml version=\"1.0\"?><?xml version=\"1.0\" encoding=\"windows-1256\"?><rss/>";
        assert_eq!(later_declaration(text), Some(1));
    }

    #[test]
    fn later_declarations_are_found_outside_cdata_only() {
        assert_eq!(later_declaration(&fixture("panic_min1.xml")), Some(1));
        assert_eq!(later_declaration(&fixture("panic_min2.xml")), Some(1));
        assert_eq!(later_declaration("\n<?xml version=\"1.0\"?>\n<rss/>"), None);
        assert_eq!(
            later_declaration("<rss><![CDATA[<?xml version=\"1.0\"?>]]></rss>"),
            None
        );
        assert_eq!(
            later_declaration("<rss/>\n\n<?xml version=\"1.0\"?>"),
            Some(3)
        );
    }

    #[test]
    fn root_tag_skips_declaration_doctype_and_comments() {
        let text = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"]>\">]><!-- c --><rss version=\"2.01\"><x/></rss>";
        let (name, range) = root_tag(text).unwrap();
        assert_eq!(name, "rss");
        assert_eq!(text.get(range), Some("<rss version=\"2.01\">"));
    }
}
