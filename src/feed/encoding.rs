//! Decides a feed document's character encoding and decodes it to UTF-8 before feed-rs sees it.
//!
//! The order is: a byte-order mark (UTF-8, UTF-16LE/BE) wins; then the XML declaration's
//! `encoding`; then the HTTP `charset`; then UTF-8. One exception, because servers get it wrong:
//! bytes that are valid UTF-8 stay UTF-8 even when a legacy encoding is declared (legacy Arabic
//! text is practically never valid UTF-8, so this cannot misread real windows-1256).
//!
//! Decoding never substitutes: a byte sequence that is not valid in the chosen encoding is an
//! error naming its byte offset and line ("invalid UTF-8 at byte 134 (line 1)"), so mojibake never
//! reaches the store. feed-rs then gets a UTF-8 string whose declaration says UTF-8; left alone it
//! would decode windows-1256 a second time.

use encoding_rs::{
    DecoderResult, Encoding, REPLACEMENT, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1256,
};

use super::FeedError;
use super::prolog::declared_label;

/// Where the encoding of a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    ByteOrderMark,
    XmlDeclaration,
    HttpHeader,
    /// Nothing named an encoding (or only unusable names), so UTF-8.
    Default,
    /// Recognised from the bytes: UTF-16 without a byte-order mark, or valid UTF-8 that was
    /// declared as something else.
    Sniffed,
}

impl EncodingSource {
    /// What a decoding failure means for this source, and who can fix it.
    pub(crate) fn explain(self, encoding: &str) -> String {
        match self {
            EncodingSource::ByteOrderMark => {
                format!(
                    "the byte-order mark says {encoding} but the bytes are not; the publisher must fix the document"
                )
            }
            EncodingSource::XmlDeclaration => format!(
                "the XML declaration says {encoding} but the bytes are not {encoding}; the publisher must fix the declaration or the text"
            ),
            EncodingSource::HttpHeader => format!(
                "the HTTP Content-Type charset says {encoding} but the bytes are not {encoding}; the server must send the right charset"
            ),
            EncodingSource::Default | EncodingSource::Sniffed => format!(
                "the document names no encoding, so it must be {encoding}; if it is in a legacy encoding such as windows-1256 the server must name it in the Content-Type charset or the XML declaration"
            ),
        }
    }
}

/// A document decoded to UTF-8.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: EncodingSource,
}

/// Decodes a document following the order in the module documentation.
pub fn decode(bytes: &[u8], http_charset: Option<&str>) -> Result<Decoded, FeedError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        return strict(body, encoding, EncodingSource::ByteOrderMark);
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        return strict(bytes, encoding, EncodingSource::Sniffed);
    }
    let declared = declared_label(bytes).and_then(|label| usable(label, "XML declaration"));
    let from_http = http_charset.and_then(|label| usable(label, "HTTP charset"));
    let (encoding, source) = match (declared, from_http) {
        (Some(encoding), _) => (encoding, EncodingSource::XmlDeclaration),
        (None, Some(encoding)) => (encoding, EncodingSource::HttpHeader),
        (None, None) => (UTF_8, EncodingSource::Default),
    };
    if encoding != UTF_8 && std::str::from_utf8(bytes).is_ok() {
        if !bytes.is_ascii() {
            tracing::debug!(
                declared = encoding.name(),
                "document declares a legacy encoding but is valid UTF-8; reading it as UTF-8"
            );
        }
        return strict(bytes, UTF_8, EncodingSource::Sniffed);
    }
    if encoding == WINDOWS_1252 && is_arabic_in_windows_1256(bytes) {
        tracing::warn!(
            declared = encoding.name(),
            "document declares a Latin encoding but its text is Arabic windows-1256; reading it as windows-1256"
        );
        return strict(bytes, WINDOWS_1256, EncodingSource::Sniffed);
    }
    strict(bytes, encoding, source)
}

/// Resolves an encoding label, ignoring names that cannot describe an ASCII-readable document:
/// Whether bytes labelled Latin (ISO-8859-1 and windows-1252, which WHATWG treats as one) are
/// really Arabic windows-1256: nearly every non-ASCII byte then decodes to an Arabic letter or
/// Arabic punctuation. Latin text fails this (windows-1256 keeps French letters such as é at
/// their Latin-1 places), so a wrong Latin label cannot turn Arabic feeds into stored mojibake.
fn is_arabic_in_windows_1256(bytes: &[u8]) -> bool {
    let high = bytes.iter().filter(|&&b| b >= 0x80).count();
    if high < 8 {
        return false;
    }
    let (text, _) = WINDOWS_1256.decode_without_bom_handling(bytes);
    let arabic = text
        .chars()
        .filter(|c| matches!(c, '\u{0600}'..='\u{06FF}'))
        .count();
    arabic * 10 >= high * 9
}

/// UTF-16 without a byte-order mark would not have a readable declaration, and the WHATWG
/// "replacement" encoding would turn the whole document into one U+FFFD.
fn usable(label: &str, from: &'static str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(label.trim().trim_matches(['"', '\'']).as_bytes());
    match encoding {
        Some(e) if e == REPLACEMENT || e == UTF_16LE || e == UTF_16BE => {
            tracing::debug!(
                label,
                from,
                "ignoring an encoding that cannot apply to this document"
            );
            None
        }
        Some(e) => Some(e),
        None => {
            tracing::debug!(label, from, "ignoring an unknown encoding name");
            None
        }
    }
}

/// UTF-16 without a byte-order mark shows as `<` next to a NUL byte.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [b'<', 0, next, 0, ..] if *next != 0 => Some(UTF_16LE),
        [0, b'<', 0, next, ..] if *next != 0 => Some(UTF_16BE),
        _ => None,
    }
}

/// Decodes without replacement characters; the first invalid sequence is an error.
fn strict(
    bytes: &[u8],
    encoding: &'static Encoding,
    source: EncodingSource,
) -> Result<Decoded, FeedError> {
    let text = if encoding == UTF_8 {
        String::from_utf8(bytes.to_vec()).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let line = line_of_byte(bytes, offset);
            invalid(encoding, offset, line, source)
        })?
    } else {
        decode_legacy(bytes, encoding)
            .map_err(|(offset, line)| invalid(encoding, offset, line, source))?
    };
    Ok(Decoded {
        text,
        encoding,
        source,
    })
}

fn invalid(
    encoding: &'static Encoding,
    offset: usize,
    line: usize,
    source: EncodingSource,
) -> FeedError {
    FeedError::InvalidEncoding {
        encoding: encoding.name(),
        offset,
        line,
        declared_by: source,
    }
}

/// Decodes with encoding_rs; on failure returns the byte offset and line of the bad sequence.
fn decode_legacy(bytes: &[u8], encoding: &'static Encoding) -> Result<String, (usize, usize)> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len());
    let mut out = String::with_capacity(capacity);
    let mut read_total = 0usize;
    loop {
        let rest = bytes.get(read_total..).unwrap_or_default();
        let (result, read) = decoder.decode_to_string_without_replacement(rest, &mut out, true);
        read_total = read_total.saturating_add(read);
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(rest.len().saturating_mul(3).max(64)),
            DecoderResult::Malformed(bad, after) => {
                let offset = read_total.saturating_sub(usize::from(bad) + usize::from(after));
                // Lines are counted in what decoded fine, which works for UTF-16 too.
                return Err((offset, out.matches('\n').count() + 1));
            }
        }
    }
}

/// 1-based line of a byte offset in ASCII-compatible bytes.
pub(crate) fn line_of_byte(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    bytes
        .get(..end)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARABIC: &str = "إنفيديا تعلن عن شرائح جديدة لمراكز البيانات، هل تكفي الطاقة؟";

    fn rss_in(encoding: &'static Encoding, declared: Option<&str>, title: &str) -> Vec<u8> {
        let decl = declared
            .map(|d| format!("<?xml version=\"1.0\" encoding=\"{d}\"?>\n"))
            .unwrap_or_default();
        let doc =
            format!("{decl}<rss version=\"2.0\"><channel><title>{title}</title></channel></rss>");
        let (bytes, _, unmappable) = encoding.encode(&doc);
        assert!(
            !unmappable,
            "test text must be representable in {}",
            encoding.name()
        );
        bytes.into_owned()
    }

    #[test]
    fn windows_1256_and_iso_8859_6_round_trip_from_the_declaration() {
        for (encoding, label) in [
            (encoding_rs::WINDOWS_1256, "windows-1256"),
            (encoding_rs::ISO_8859_6, "ISO-8859-6"),
        ] {
            let bytes = rss_in(encoding, Some(label), ARABIC);
            assert!(
                std::str::from_utf8(&bytes).is_err(),
                "{label} bytes must not be UTF-8"
            );
            let decoded = decode(&bytes, None).unwrap();
            assert_eq!(decoded.encoding, encoding);
            assert_eq!(decoded.source, EncodingSource::XmlDeclaration);
            assert!(decoded.text.contains(ARABIC), "{label}: {}", decoded.text);
            // And through the whole parser, which must not decode the text a second time.
            let feed = crate::feed::parse(&bytes, Some("utf-8")).unwrap();
            assert_eq!(feed.title.as_deref(), Some(ARABIC), "{label}");
        }
    }

    #[test]
    fn http_charset_applies_when_the_document_names_none() {
        let bytes = rss_in(encoding_rs::WINDOWS_1256, None, ARABIC);
        let decoded = decode(&bytes, Some("Windows-1256")).unwrap();
        assert_eq!(decoded.source, EncodingSource::HttpHeader);
        assert!(decoded.text.contains(ARABIC));
    }

    #[test]
    fn declaration_wins_over_http_charset() {
        let bytes = rss_in(encoding_rs::WINDOWS_1256, Some("windows-1256"), ARABIC);
        let decoded = decode(&bytes, Some("iso-8859-6")).unwrap();
        assert_eq!(decoded.encoding, encoding_rs::WINDOWS_1256);
    }

    #[test]
    fn byte_order_mark_wins_over_declaration_and_header() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend(
            format!("<?xml version=\"1.0\" encoding=\"windows-1256\"?><t>{ARABIC}</t>").as_bytes(),
        );
        let decoded = decode(&bytes, Some("iso-8859-6")).unwrap();
        assert_eq!(
            (decoded.encoding, decoded.source),
            (UTF_8, EncodingSource::ByteOrderMark)
        );
        assert!(decoded.text.starts_with("<?xml") && decoded.text.contains(ARABIC));
    }

    #[test]
    fn valid_utf8_stays_utf8_under_a_legacy_declaration() {
        let doc = format!("<?xml version=\"1.0\" encoding=\"windows-1256\"?><t>{ARABIC}</t>");
        let decoded = decode(doc.as_bytes(), Some("windows-1256")).unwrap();
        assert_eq!(
            (decoded.encoding, decoded.source),
            (UTF_8, EncodingSource::Sniffed)
        );
        assert!(decoded.text.contains(ARABIC));
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_byte_and_line() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<t>A\xff\xfe</t>";
        let err = decode(bytes, None).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("invalid UTF-8 at byte 43 (line 2)"),
            "{message}"
        );
        assert!(message.contains("XML declaration says UTF-8"), "{message}");
    }

    #[test]
    fn legacy_bytes_without_any_declaration_are_an_error_not_mojibake() {
        let bytes = rss_in(encoding_rs::WINDOWS_1256, None, ARABIC);
        let message = decode(&bytes, None).unwrap_err().to_string();
        assert!(
            message.contains("names no encoding") && message.contains("charset"),
            "{message}"
        );
    }

    #[test]
    fn arabic_bytes_under_a_latin_label_are_read_as_windows_1256() {
        let bytes = rss_in(encoding_rs::WINDOWS_1256, Some("ISO-8859-1"), ARABIC);
        let decoded = decode(&bytes, None).unwrap();
        assert_eq!(decoded.encoding, WINDOWS_1256);
        assert!(decoded.text.contains(ARABIC));
        let french = rss_in(
            WINDOWS_1252,
            Some("ISO-8859-1"),
            "Les élèves déjà très âgés à l'école ça où",
        );
        assert_eq!(decode(&french, None).unwrap().encoding, WINDOWS_1252);
    }

    #[test]
    fn unknown_and_replacement_labels_are_ignored() {
        let doc = format!("<?xml version=\"1.0\" encoding=\"klingon\"?><t>{ARABIC}</t>");
        assert_eq!(
            decode(doc.as_bytes(), Some("iso-2022-kr"))
                .unwrap()
                .encoding,
            UTF_8
        );
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let units: Vec<u8> = "<t>ا</t>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode(&units, None).unwrap().text, "<t>ا</t>");
    }
}
