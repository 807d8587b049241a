//! The XML declaration (`<?xml version="1.0" encoding="windows-1256"?>`): reading the encoding
//! it names, and making it say UTF-8 once [`super::encoding`] has decoded the document, so that
//! feed-rs does not decode it a second time.

/// How far into a document a well-formed declaration may end.
const DECLARATION_WINDOW: usize = 512;

/// The byte range of the XML declaration (`<?xml … ?>`) at the very start, if it ends within
/// `window` bytes.
fn declaration(bytes: &[u8], window: usize) -> Option<std::ops::Range<usize>> {
    let after = bytes.get(5);
    if !bytes.starts_with(b"<?xml") || !after.is_some_and(|b| b.is_ascii_whitespace() || *b == b'?')
    {
        return None;
    }
    let window = bytes.get(..bytes.len().min(window))?;
    let end = window.windows(2).position(|w| w == b"?>")?;
    Some(0..end + 2)
}

/// The value of `encoding="…"` in the XML declaration, with its byte range.
fn encoding_attribute(bytes: &[u8]) -> Option<(std::ops::Range<usize>, &str)> {
    encoding_attribute_within(bytes, DECLARATION_WINDOW)
}

fn encoding_attribute_within(
    bytes: &[u8],
    window: usize,
) -> Option<(std::ops::Range<usize>, &str)> {
    let decl = bytes.get(declaration(bytes, window)?)?;
    let key = decl.windows(8).position(|w| w == b"encoding")?;
    let mut i = key + 8;
    while decl.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if decl.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    while decl.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    let quote = *decl.get(i).filter(|&&q| q == b'"' || q == b'\'')?;
    let start = i + 1;
    let len = decl.get(start..)?.iter().position(|&b| b == quote)?;
    let value = std::str::from_utf8(decl.get(start..start + len)?).ok()?;
    Some((start..start + len, value))
}

/// The encoding label the XML declaration names, if any.
pub(crate) fn declared_label(bytes: &[u8]) -> Option<&str> {
    encoding_attribute(bytes).map(|(_, label)| label)
}

/// Makes the declaration of an already decoded document say UTF-8, so that feed-rs does not
/// decode it a second time. The whole declaration is replaced by a clean one (keeping its line
/// breaks, so line numbers in later errors stay right): quick-xml reads a declaration up to its
/// `?>` however far away and panics when it names another encoding anywhere in it, which
/// fuzzing found in several malformed shapes.
pub(crate) fn declare_utf8(text: String) -> String {
    let Some(range) = declaration(text.as_bytes(), usize::MAX) else {
        return text;
    };
    let Some(old) = text.get(range.clone()) else {
        return text;
    };
    let breaks = old.matches('\n').count();
    let clean = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>{}",
        "\n".repeat(breaks)
    );
    if old == clean {
        return text;
    }
    let mut fixed = text;
    fixed.replace_range(range, &clean);
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declare_utf8_rewrites_only_the_label() {
        let text = "<?xml version='1.0' encoding = 'windows-1256' ?>\n<rss/>".to_string();
        assert_eq!(
            declare_utf8(text),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss/>"
        );
        let split = "<?xml version='1.0'\n encoding='windows-1256'?><rss/>".to_string();
        assert_eq!(
            declare_utf8(split),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss/>"
        );
        let plain = "<rss encoding=\"x\"/>".to_string();
        assert_eq!(declare_utf8(plain.clone()), plain);
    }

    #[test]
    fn a_malformed_declaration_is_rewritten_wherever_it_ends() {
        let text = format!(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-6\"?on=\"2.0\"><channel>{}?></channel>",
            "x".repeat(600)
        );
        assert!(declare_utf8(text).starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><"));
        let twice =
            "<?xml version=\"1.0\" encodingl><r encoding=\"windows-1256\"?><rss/>".to_string();
        assert_eq!(
            declare_utf8(twice),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>"
        );
    }

    #[test]
    fn the_declared_label_is_read_with_either_quote() {
        assert_eq!(
            declared_label(b"<?xml version=\"1.0\" encoding=\"ISO-8859-6\"?><r/>"),
            Some("ISO-8859-6")
        );
        assert_eq!(
            declared_label(b"<?xml version='1.0' encoding='utf-8'?>"),
            Some("utf-8")
        );
        assert_eq!(
            declared_label(b"<?xml version=\"1.0\"?><r encoding=\"x\"/>"),
            None
        );
        assert_eq!(declared_label(b"<rss/>"), None);
    }
}
