//! Recognises what a fetched document is before feed parsing: a feed (XML or JSON), or one of
//! the things servers send instead — nothing, an HTML page, a Cloudflare bot challenge, plain
//! text, binary data. Knowing which turns "no root element" into an error an operator can act on.

/// What a document looks like, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// No bytes, or only whitespace.
    Empty,
    /// XML that is not an HTML page: a feed candidate.
    Xml,
    /// JSON: a JSON Feed candidate.
    Json,
    /// An HTML page (error page, home page, login wall).
    Html,
    /// Cloudflare's "Just a moment..." bot challenge.
    CloudflareChallenge,
    /// Compressed, image or other non-text data.
    Binary,
    /// Text that is neither markup nor JSON.
    PlainText,
}

/// How far into a document the sniffing looks; markers appear near the start.
const SNIFF_LEN: usize = 64 * 1024;

/// Classifies raw bytes (any encoding with a byte-order mark, else ASCII-compatible).
pub fn looks_like(bytes: &[u8]) -> DocumentKind {
    if binary_kind(bytes).is_some() {
        return DocumentKind::Binary;
    }
    let head = bytes.get(..bytes.len().min(SNIFF_LEN)).unwrap_or_default();
    let text = match encoding_rs::Encoding::for_bom(head) {
        Some((encoding, _)) => encoding.decode_with_bom_removal(head).0,
        None => String::from_utf8_lossy(head),
    };
    classify(&text)
}

/// Names the kind of binary data, or `None` for text. Text here includes UTF-16 (which has NUL
/// bytes) and legacy 8-bit encodings (which have high bytes but no control characters).
pub fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x1f\x8b", "gzip-compressed data"),
        (b"BZh", "bzip2-compressed data"),
        (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"%PDF", "a PDF file"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"RIFF", "a RIFF (WebP, WAV or AVI) file"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Some(what);
    }
    let is_utf16 = matches!(
        bytes,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [b'<', 0, ..] | [0, b'<', ..]
    );
    let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    let has_nul = head.contains(&0);
    // A few stray control characters occur in real feeds; a tenth of the bytes does not.
    let binary = if is_utf16 {
        false
    } else {
        has_nul || controls * 10 > head.len()
    };
    binary.then_some("binary data")
}

/// Classifies decoded text.
pub fn classify(text: &str) -> DocumentKind {
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    match text.chars().next() {
        None => DocumentKind::Empty,
        Some('{' | '[') => DocumentKind::Json,
        Some('<') => {
            let head = text.get(..text.len().min(SNIFF_LEN)).unwrap_or(text);
            if first_markup_is_html(head) {
                if is_cloudflare_challenge(head) {
                    DocumentKind::CloudflareChallenge
                } else {
                    DocumentKind::Html
                }
            } else {
                DocumentKind::Xml
            }
        }
        Some(_) => DocumentKind::PlainText,
    }
}

/// Whether the first doctype or element, after declarations and comments, is HTML's.
fn first_markup_is_html(text: &str) -> bool {
    let lower = text
        .get(..text.len().min(4096))
        .unwrap_or(text)
        .to_ascii_lowercase();
    let mut rest = lower.as_str();
    loop {
        rest = rest.trim_start();
        let skipped = if rest.starts_with("<?") {
            rest.find("?>").map(|end| end + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|end| end + 3)
        } else {
            None
        };
        match skipped {
            Some(end) => rest = rest.get(end..).unwrap_or_default(),
            None => break,
        }
    }
    let Some(tag) = rest.strip_prefix('<') else {
        return false;
    };
    let tag = tag
        .strip_prefix("!doctype")
        .map(str::trim_start)
        .unwrap_or(tag);
    ["html", "head", "body"].iter().any(|name| {
        tag.strip_prefix(name).is_some_and(|after| {
            after.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/')
        })
    })
}

/// Cloudflare's challenge pages, old and new.
fn is_cloudflare_challenge(html: &str) -> bool {
    const MARKERS: &[&str] = &[
        "<title>just a moment",
        "<title>attention required! | cloudflare",
        "cf-browser-verification",
        "/cdn-cgi/challenge-platform",
        "cf_chl_opt",
    ];
    let lower = html.to_ascii_lowercase();
    MARKERS.iter().any(|marker| lower.contains(marker))
}

/// The text of an HTML page's `<title>`, shortened, to say which page was served.
pub fn html_title(html: &str) -> Option<String> {
    let head = html.get(..html.len().min(SNIFF_LEN)).unwrap_or(html);
    let lower = head.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower.get(open..)?.find('>')? + 1;
    let len = lower.get(start..)?.find("</title")?;
    let title = super::text::html_to_text(head.get(start..start + len)?);
    let short: String = title.chars().take(80).collect();
    (!short.is_empty()).then_some(short)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/hostile/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn fixtures_are_classified() {
        for (name, kind) in [
            ("bad_empty.xml", DocumentKind::Empty),
            ("bad_whitespace.xml", DocumentKind::Empty),
            ("bad_html.xml", DocumentKind::Html),
            ("bad_html_cloudflare.xml", DocumentKind::CloudflareChallenge),
            ("bad_json.xml", DocumentKind::Json),
            ("billion_laughs.xml", DocumentKind::Xml),
            ("utf16le_bom.xml", DocumentKind::Xml),
            ("cp1256_prolog.xml", DocumentKind::Xml),
            ("bad_ctrl_chars.xml", DocumentKind::Xml),
            ("bomb.gz", DocumentKind::Binary),
        ] {
            assert_eq!(looks_like(&fixture(name)), kind, "{name}");
        }
    }

    #[test]
    fn xhtml_behind_an_xml_declaration_is_html() {
        let page = "<?xml version=\"1.0\"?>\n<!-- x -->\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\"><html/>";
        assert_eq!(classify(page), DocumentKind::Html);
        assert_eq!(classify("<HTML><BODY>x</BODY></HTML>"), DocumentKind::Html);
        assert_eq!(classify("<rss version=\"2.0\"/>"), DocumentKind::Xml);
        assert_eq!(classify("<htmlfeed/>"), DocumentKind::Xml);
    }

    #[test]
    fn binary_data_is_named() {
        assert!(binary_kind(b"\x1f\x8b\x08\x00").unwrap().contains("gzip"));
        assert_eq!(binary_kind(b"<rss>\0\x01\x02</rss>"), Some("binary data"));
        assert_eq!(binary_kind("<rss>نص</rss>".as_bytes()), None);
        assert_eq!(binary_kind(b"<rss>\xc3\xc8\xc7\xd1</rss>"), None);
    }

    #[test]
    fn plain_text_is_not_a_feed() {
        assert_eq!(classify("Service Unavailable"), DocumentKind::PlainText);
    }

    #[test]
    fn html_title_is_extracted() {
        let page = String::from_utf8(fixture("bad_html.xml")).unwrap();
        assert_eq!(html_title(&page).as_deref(), Some("404"));
        assert_eq!(html_title("<html><body>x</body></html>"), None);
    }
}
