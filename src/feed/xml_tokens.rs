//! A small XML tokenizer over UTF-8 text: start and end tags with their attributes, text,
//! processing instructions, and (skipped) comments, CDATA sections and doctypes. It checks
//! structure only (no entities, no namespaces) and stops at the first broken construct, naming
//! it and its byte offset. [`super::locate`] builds its diagnostics on it.

/// One piece of markup or text, by byte range in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    Start {
        name: &'a str,
        start: usize,
        end: usize,
        empty: bool,
    },
    End {
        name: &'a str,
        start: usize,
    },
    Text {
        start: usize,
        end: usize,
    },
    /// A processing instruction, including the XML declaration (`target` is `xml`).
    Instruction {
        target: &'a str,
        start: usize,
    },
    /// A comment, CDATA section or doctype.
    Other,
}

/// A broken token: what is wrong and the byte offset where it starts.
pub(crate) type Broken = (String, usize);

/// Iterates over the tokens of a text; stops after the first broken one.
pub(crate) struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    failed: bool,
}

pub(crate) fn tokens(text: &str) -> Tokens<'_> {
    Tokens {
        text,
        pos: 0,
        failed: false,
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<Token<'a>, Broken>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.text.len() {
            return None;
        }
        let result = self.token();
        self.failed = result.is_err();
        Some(result)
    }
}

impl<'a> Tokens<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// Moves past `needle`, or fails with `what` (a document that ends inside a construct).
    fn skip_past(&mut self, needle: &str, start: usize, what: &str) -> Result<Token<'a>, Broken> {
        match self.rest().find(needle) {
            Some(found) => {
                self.pos += found + needle.len();
                Ok(Token::Other)
            }
            None => Err((
                format!("the document ends inside {what}; it was probably cut off"),
                start,
            )),
        }
    }

    fn token(&mut self) -> Result<Token<'a>, Broken> {
        let start = self.pos;
        let rest = self.rest();
        if !rest.starts_with('<') {
            let len = rest.find('<').unwrap_or(rest.len());
            self.pos += len;
            return Ok(Token::Text {
                start,
                end: self.pos,
            });
        }
        if rest.starts_with("<!--") {
            return self.skip_past("-->", start, "a comment");
        }
        if rest.starts_with("<![CDATA[") {
            return self.skip_past("]]>", start, "a CDATA section");
        }
        if rest.starts_with("<!") {
            return self.doctype(start);
        }
        if let Some(after) = rest.strip_prefix("<?") {
            let target_len = after
                .find(|c: char| c.is_whitespace() || c == '?')
                .unwrap_or(after.len());
            let target = after.get(..target_len).unwrap_or_default();
            self.skip_past("?>", start, "a processing instruction")?;
            return Ok(Token::Instruction { target, start });
        }
        if rest.starts_with("</") {
            self.pos += 2;
            let name = self.name();
            self.skip_space();
            if name.is_empty() || self.byte(self.pos) != Some(b'>') {
                return Err(self.inside_tag_error(start, name, "closing tag"));
            }
            self.pos += 1;
            return Ok(Token::End { name, start });
        }
        self.pos += 1;
        let name = self.name();
        if name.is_empty() {
            return Err((
                "a `<` that does not start a tag (it must be written &lt;)".into(),
                start,
            ));
        }
        self.start_tag_rest(name, start)
    }

    /// `<!DOCTYPE …>`, possibly with an internal subset in brackets.
    fn doctype(&mut self, start: usize) -> Result<Token<'a>, Broken> {
        let mut depth = 0usize;
        let mut quote = None;
        for (i, c) in self.rest().char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '[') => depth += 1,
                (None, ']') => depth = depth.saturating_sub(1),
                (None, '>') if depth == 0 => {
                    self.pos += i + 1;
                    return Ok(Token::Other);
                }
                _ => {}
            }
        }
        Err((
            "the document ends inside a <!DOCTYPE>; it was probably cut off".into(),
            start,
        ))
    }

    /// Attributes and the end of a start tag.
    fn start_tag_rest(&mut self, name: &'a str, start: usize) -> Result<Token<'a>, Broken> {
        loop {
            self.skip_space();
            match self.byte(self.pos) {
                Some(b'>') => {
                    self.pos += 1;
                    return Ok(Token::Start {
                        name,
                        start,
                        end: self.pos,
                        empty: false,
                    });
                }
                Some(b'/') if self.byte(self.pos + 1) == Some(b'>') => {
                    self.pos += 2;
                    return Ok(Token::Start {
                        name,
                        start,
                        end: self.pos,
                        empty: true,
                    });
                }
                Some(_) => {
                    let attribute = self.name();
                    self.skip_space();
                    if attribute.is_empty() || self.byte(self.pos) != Some(b'=') {
                        return Err(self.inside_tag_error(start, name, "tag"));
                    }
                    self.pos += 1;
                    self.skip_space();
                    let Some(quote @ (b'"' | b'\'')) = self.byte(self.pos) else {
                        return Err(self.inside_tag_error(start, name, "tag"));
                    };
                    let value_start = self.pos + 1;
                    let close = self
                        .text
                        .as_bytes()
                        .get(value_start..)
                        .and_then(|v| v.iter().position(|&b| b == quote));
                    match close {
                        Some(len) => self.pos = value_start + len + 1,
                        None => {
                            // An unclosed value runs to the end of the document.
                            self.pos = self.text.len();
                            return Err(self.inside_tag_error(start, name, "tag"));
                        }
                    }
                }
                None => return Err(self.inside_tag_error(start, name, "tag")),
            }
        }
    }

    fn inside_tag_error(&self, start: usize, name: &str, kind: &str) -> Broken {
        if self.pos >= self.text.len() {
            (
                format!("the document ends inside the {kind} <{name}…; it was probably cut off"),
                start,
            )
        } else {
            (format!("the {kind} <{name}…> is malformed"), self.pos)
        }
    }

    fn name(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| {
                !(c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.') || !c.is_ascii())
            })
            .unwrap_or(rest.len());
        // A name cannot start with a digit, '-' or '.'.
        if rest.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
            return "";
        }
        self.pos += len;
        rest.get(..len).unwrap_or_default()
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cover_tags_text_and_instructions() {
        let text = "<?xml version=\"1.0\"?><a x='1'>t<b/></a>";
        let found: Vec<Token> = tokens(text).map(Result::unwrap).collect();
        assert_eq!(
            found,
            [
                Token::Instruction {
                    target: "xml",
                    start: 0
                },
                Token::Start {
                    name: "a",
                    start: 21,
                    end: 30,
                    empty: false
                },
                Token::Text { start: 30, end: 31 },
                Token::Start {
                    name: "b",
                    start: 31,
                    end: 35,
                    empty: true
                },
                Token::End {
                    name: "a",
                    start: 35
                },
            ]
        );
    }

    #[test]
    fn the_first_broken_construct_ends_the_scan() {
        let results: Vec<_> = tokens("<a><b x=\"1></a>").collect();
        assert_eq!(results.len(), 2);
        let (message, offset) = results[1].clone().unwrap_err();
        assert!(message.contains("ends inside the tag <b"), "{message}");
        assert_eq!(offset, 3);
        let stray: Vec<_> = tokens("<a>1 <2</a>").collect();
        assert!(stray.iter().any(|r| {
            r.as_ref()
                .is_err_and(|(m, _)| m.contains("does not start a tag"))
        }));
    }
}
