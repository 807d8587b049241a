//! Thin helpers over quick-xml's writer for Atom, RSS and OPML: every text and attribute value
//! passes through [`xml_safe`] and is escaped by quick-xml, so no stored string can break the
//! document.

use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::sanitize::xml_safe;

pub(super) type XmlWriter<'w> = Writer<&'w mut dyn Write>;

/// A writer indenting by two spaces, after the `<?xml …?>` declaration.
pub(super) fn start_document(out: &mut dyn Write) -> io::Result<XmlWriter<'_>> {
    let mut writer = Writer::new_with_indent(out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    Ok(writer)
}

/// Ends the document with a newline and flushes.
pub(super) fn end_document(writer: XmlWriter<'_>) -> io::Result<()> {
    let out = writer.into_inner();
    out.write_all(b"\n")?;
    out.flush()
}

fn start_tag<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut tag = BytesStart::new(name);
    for (key, value) in attrs {
        tag.push_attribute((*key, xml_safe(value).as_ref()));
    }
    tag
}

/// `<name attrs>`.
pub(super) fn open(w: &mut XmlWriter<'_>, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
    w.write_event(Event::Start(start_tag(name, attrs)))
}

/// `</name>`.
pub(super) fn close(w: &mut XmlWriter<'_>, name: &str) -> io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// `<name attrs/>`.
pub(super) fn empty(w: &mut XmlWriter<'_>, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
    w.write_event(Event::Empty(start_tag(name, attrs)))
}

/// `<name attrs>text</name>`.
pub(super) fn text(
    w: &mut XmlWriter<'_>,
    name: &str,
    attrs: &[(&str, &str)],
    text: &str,
) -> io::Result<()> {
    open(w, name, attrs)?;
    w.write_event(Event::Text(BytesText::new(&xml_safe(text))))?;
    close(w, name)
}

/// Like [`text`], but nothing at all when `value` is `None` or blank.
pub(super) fn optional_text(
    w: &mut XmlWriter<'_>,
    name: &str,
    value: Option<&str>,
) -> io::Result<()> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => text(w, name, &[], value),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped_and_cleaned() {
        let mut buf = Vec::new();
        {
            let mut w = start_document(&mut buf).unwrap();
            text(&mut w, "t", &[("a", "\"<x>&\u{1}")], "<b>&\u{0}é</b>").unwrap();
            end_document(w).unwrap();
        }
        let xml = String::from_utf8(buf).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        assert!(xml.contains("a=\"&quot;&lt;x&gt;&amp;\""), "{xml}");
        assert!(xml.contains(">&lt;b&gt;&amp;é&lt;/b&gt;</t>"), "{xml}");
    }
}
