//! Plain text from the HTML (or text with HTML entities) that feeds put in titles, summaries and
//! content. The tagger, the search index and the terminal all want words, not markup: block
//! elements separate words, entities are decoded, scripts and styles vanish, whitespace is
//! collapsed to single spaces and control characters are dropped.

use scraper::{Html, Node};

/// Elements whose text is never shown to a reader.
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg", "math",
];

/// Elements that start a new line in a browser, so the words on either side are separate words.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "img",
];

/// Converts HTML to one line of plain text.
///
/// Block elements separate words (`<p>a</p><p>b</p>` → `a b`), named and numeric entities are
/// decoded (`&nbsp;` → space, `&copy;` → `©`), unknown entities stay literal (`&lol9;`, so no
/// entity expansion is possible), hidden elements (`script`, `style`, …) are dropped,
/// whitespace runs become one space and control characters are removed.
pub fn html_to_text(html: &str) -> String {
    // Text without tags or entities needs no HTML parser: this is most titles.
    if !html.contains(['<', '&']) {
        return clean_text(html);
    }
    // html5ever slows down quadratically with nesting depth; hostile markup gets a flat reading.
    if nesting_estimate(html) > MAX_DEPTH {
        return html_to_text(&strip_tags(html));
    }
    let document = Html::parse_fragment(html);
    let mut raw = String::with_capacity(html.len());
    // An explicit walk instead of recursion: hostile HTML can nest deeper than the stack.
    let root = document.tree.root();
    let mut node = root;
    'walk: loop {
        let descend = match node.value() {
            Node::Text(text) => {
                raw.push_str(text);
                false
            }
            Node::Element(element) => {
                let name = element.name();
                if BLOCKS.contains(&name) {
                    raw.push(' ');
                }
                !HIDDEN.contains(&name)
            }
            Node::Document | Node::Fragment => true,
            _ => false,
        };
        if descend && let Some(child) = node.first_child() {
            node = child;
            continue;
        }
        // Leave finished nodes until one has a next sibling.
        loop {
            if let Node::Element(element) = node.value()
                && BLOCKS.contains(&element.name())
            {
                raw.push(' ');
            }
            if node.id() == root.id() {
                break 'walk;
            }
            if let Some(sibling) = node.next_sibling() {
                node = sibling;
                break;
            }
            match node.parent() {
                Some(parent) => node = parent,
                None => break 'walk,
            }
        }
    }
    clean_text(&raw)
}

/// Nesting beyond this is not real article markup.
const MAX_DEPTH: usize = 256;

/// The deepest nesting the tags suggest (start tags minus end tags); an upper bound, since
/// HTML closes some elements implicitly.
fn nesting_estimate(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    for (i, _) in bytes.iter().enumerate().filter(|&(_, &b)| b == b'<') {
        match bytes.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            _ => {}
        }
    }
    deepest
}

/// Removes tags without building a tree: block tags become spaces, script and style contents
/// go, and a `<` that starts no tag stays text. Entities are left for the HTML parser.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // Once no `>` is left, none will be found later: remembering it keeps "<a<a<a…" linear.
    let mut no_more_ends = false;
    while let Some(open) = rest.find('<') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let tag_text = rest.get(open + 1..).unwrap_or_default();
        if !tag_text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
            out.push('<');
            rest = tag_text;
            continue;
        }
        let close = if no_more_ends {
            None
        } else {
            tag_text.find('>')
        };
        let Some(close) = close else {
            no_more_ends = true;
            out.push(' ');
            rest = tag_text;
            continue;
        };
        let name: String = tag_text
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        rest = tag_text.get(close + 1..).unwrap_or_default();
        if (name == "script" || name == "style") && !tag_text.starts_with('/') {
            let end = find_ascii_case_insensitive(rest, &format!("</{name}")).unwrap_or(rest.len());
            rest = rest.get(end..).unwrap_or_default();
        } else if BLOCKS.contains(&name.as_str()) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    out
}

/// Where `needle` (ASCII) first occurs in `haystack`, ignoring ASCII case; linear in the
/// bytes searched, so skipping many `<script>`s costs no more than reading the text once.
fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    let first = needle.first()?.to_ascii_lowercase();
    haystack
        .as_bytes()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.to_ascii_lowercase() == first)
        .map(|(i, _)| i)
        .find(|&i| {
            haystack
                .as_bytes()
                .get(i..i + needle.len())
                .is_some_and(|window| window.eq_ignore_ascii_case(needle))
        })
}

/// Collapses whitespace (Unicode-aware, so no-break spaces count) to single spaces, trims, and
/// drops control characters and NUL, which are never meant to be shown.
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if c.is_control() {
            continue;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Whether text contains something an HTML parser would change: a tag, a comment, or an
/// entity reference. Plain titles like `AT&T` or `a < b` do not.
pub fn has_markup(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        let next = bytes.get(i + 1).copied();
        match b {
            b'<' => matches!(next, Some(n) if n.is_ascii_alphabetic() || n == b'/' || n == b'!'),
            b'&' => is_entity_reference(bytes.get(i + 1..).unwrap_or_default()),
            _ => false,
        }
    })
}

/// Whether `rest` (the bytes after a `&`) is `name;`, `#digits;` or `#xhex;`.
pub(crate) fn is_entity_reference(rest: &[u8]) -> bool {
    let (body, ok): (&[u8], fn(u8) -> bool) = match rest {
        [b'#', b'x' | b'X', tail @ ..] => (tail, |b: u8| b.is_ascii_hexdigit()),
        [b'#', tail @ ..] => (tail, |b: u8| b.is_ascii_digit()),
        [first, ..] if first.is_ascii_alphabetic() || *first == b'_' || *first == b':' => {
            (rest, |b: u8| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.')
            })
        }
        _ => return false,
    };
    // Entity names are short; a long run is a word followed much later by an unrelated `;`.
    let len = body.iter().take(40).take_while(|&&b| ok(b)).count();
    len > 0 && body.get(len) == Some(&b';')
}

/// Plain text and, when the source had markup, the original: the split every text field of an
/// [`super::Entry`] uses.
pub fn text_and_markup(raw: &str, declared_html: bool) -> (String, Option<String>) {
    if declared_html || has_markup(raw) {
        let text = html_to_text(raw);
        let original = clean_markup(raw.trim());
        (text, (!original.is_empty()).then_some(original))
    } else {
        (clean_text(raw), None)
    }
}

/// Markup as the feed wrote it, without control characters: raw ones (an XML character
/// reference such as `&#x1b;` arrives decoded) and HTML numeric references to them. Tab,
/// newline and carriage return stay. A reference to 0x80–0x9F means, in HTML, the
/// windows-1252 character (`&#147;` is “), so it becomes that character; the five code points
/// windows-1252 leaves undefined are dropped.
pub fn clean_markup(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(|c: char| c == '&' || is_unwanted_control(c)) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let Some(c) = from.chars().next() else { break };
        if c != '&' {
            rest = from.get(c.len_utf8()..).unwrap_or_default();
            continue;
        }
        match numeric_reference(from) {
            Some((code, len)) if is_unwanted_control_code(code) => {
                if let Some(mapped) = windows_1252(code) {
                    out.push(mapped);
                }
                rest = from.get(len..).unwrap_or_default();
            }
            _ => {
                out.push('&');
                rest = from.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_unwanted_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn is_unwanted_control_code(code: u32) -> bool {
    char::from_u32(code).is_none_or(is_unwanted_control) && code != 0xFFFD
}

/// `&#27;` or `&#x1B;` (the `;` optional, as HTML allows): the code point and the length.
fn numeric_reference(text: &str) -> Option<(u32, usize)> {
    let body = text.strip_prefix("&#")?;
    let (hex, digits) = match body.strip_prefix(['x', 'X']) {
        Some(hex) => (true, hex),
        None => (false, body),
    };
    let len = digits
        .bytes()
        .take_while(|b| {
            if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        })
        .count();
    let number = digits
        .get(..len)
        .filter(|n| !n.is_empty() && n.len() <= 8)?;
    let code = u32::from_str_radix(number, if hex { 16 } else { 10 }).ok()?;
    let semicolon = usize::from(digits.as_bytes().get(len) == Some(&b';'));
    Some((code, 2 + usize::from(hex) + len + semicolon))
}

/// What HTML makes of a numeric reference to 0x80–0x9F.
fn windows_1252(code: u32) -> Option<char> {
    const TABLE: [char; 32] = [
        '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', '\0',
        '\u{2018}', '\u{2019}', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
    ];
    let index = usize::try_from(code.checked_sub(0x80)?).ok()?;
    TABLE.get(index).copied().filter(|c| *c != '\0')
}

/// A link without control characters (a character reference can put them there).
pub fn clean_link(href: &str) -> String {
    href.chars().filter(|c| !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_references_to_them_leave_markup() {
        assert_eq!(
            clean_markup("<p>a\u{1b}[31m&#x1b;[0m&#27;b&#x7;&#X9B;c&#155</p>"),
            "<p>a[31m[0mb›c›</p>"
        );
        assert_eq!(clean_markup("&#147;quote&#148; &#x81;"), "“quote” ");
        let kept = "<p>AT&amp;T &#1605; &#x645; &lt;b&gt;\t\n&#10;&#</p>";
        assert_eq!(clean_markup(kept), kept);
        assert_eq!(
            clean_link("https://e.com/a\u{1b}b\u{9b}c"),
            "https://e.com/abc"
        );
    }

    #[test]
    fn block_elements_separate_words() {
        assert_eq!(
            html_to_text("<p>one</p><p>two</p>three<br>four"),
            "one two three four"
        );
        assert_eq!(html_to_text("<ul><li>أ</li><li>ب</li></ul>"), "أ ب");
    }

    #[test]
    fn inline_elements_do_not_split_words() {
        assert_eq!(html_to_text("مراكز <b>البيا</b>نات"), "مراكز البيانات");
    }

    #[test]
    fn entities_are_decoded_and_unknown_ones_stay_literal() {
        assert_eq!(
            html_to_text("A&nbsp;B &copy; &hellip; &#1575;"),
            "A B © … ا"
        );
        assert_eq!(html_to_text("&lol9; x&xxe;"), "&lol9; x&xxe;");
    }

    #[test]
    fn scripts_and_styles_are_dropped() {
        let html = "<style>p{}</style><p>نص</p><script>alert(1)</script>";
        assert_eq!(html_to_text(html), "نص");
    }

    #[test]
    fn whitespace_collapses_and_control_characters_vanish() {
        assert_eq!(
            html_to_text("  a \n\t b\u{a0}\u{a0}c\u{1}\u{0}d  "),
            "a b cd"
        );
        // U+000B and U+0085 are whitespace in Unicode, U+0001 is not.
        assert_eq!(clean_text("x\u{b}y\u{85}z\u{1}!"), "x y z!");
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let html = "<div>".repeat(MAX_DEPTH) + "عمق";
        assert_eq!(html_to_text(&html), "عمق");
    }

    #[test]
    fn hostile_nesting_is_read_flat_and_quickly() {
        let started = std::time::Instant::now();
        let html = "<div><b>".repeat(50_000) + "مراكز <i>البيا</i>نات<script>x()</script><p>ثم";
        assert_eq!(html_to_text(&html), "مراكز البيانات ثم");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            strip_tags("a <p>b</p> 1 < 2 &amp; <style>p{}</style>c"),
            "a  b  1 < 2 &amp; c"
        );
    }

    #[test]
    fn tags_that_never_end_and_many_scripts_are_read_in_linear_time() {
        // Each was quadratic: "<a<b" rescanned the rest for a `>`, and every `<script>`
        // lowercased the rest of the document (1 MB: about 50 s).
        for pattern in ["<a<b", "<script></script>x", "<STYLE>p{}</STYLE>"] {
            let html = "<div>".repeat(MAX_DEPTH + 1) + &pattern.repeat(1_000_000 / pattern.len());
            let started = std::time::Instant::now();
            html_to_text(&html);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{pattern}: {:?}",
                started.elapsed()
            );
        }
        assert_eq!(strip_tags("x<SCRIPT>y</sCrIpT>z<b"), "xz b");
    }

    #[test]
    fn markup_detection_ignores_plain_ampersands_and_comparisons() {
        assert!(!has_markup("AT&T & co"));
        assert!(!has_markup("a < b; 3<4"));
        assert!(has_markup("a <b>bold</b>"));
        assert!(has_markup("A&nbsp;B"));
        assert!(has_markup("&#1575;"));
        assert!(has_markup("&#x627;"));
        assert!(!has_markup("&#;"));
    }

    #[test]
    fn text_and_markup_keeps_the_original_only_when_there_was_markup() {
        assert_eq!(
            text_and_markup(" عنوان  عادي ", false),
            ("عنوان عادي".into(), None)
        );
        let (text, html) = text_and_markup("<b>عنوان</b>", false);
        assert_eq!(text, "عنوان");
        assert_eq!(html.as_deref(), Some("<b>عنوان</b>"));
        let (text, html) = text_and_markup("وصف", true);
        assert_eq!((text.as_str(), html.as_deref()), ("وصف", Some("وصف")));
    }
}
