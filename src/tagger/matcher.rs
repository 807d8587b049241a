//! Finds every taxonomy phrase in a text in one pass.
//!
//! All phrases of all rules (terms, `near`, `unless` and `with` lists) are compiled into ONE
//! Aho-Corasick automaton over word ids, so the cost of tagging grows with the length of the text
//! and not with the number of rules. A text is turned into a stream of word ids (see
//! [`super::lexicon`]); each id is written as one 4-byte UTF-8 character (U+10000 + id), so the
//! automaton works on bytes yet can only match whole words: a match must start on a lead byte,
//! which only occurs at the start of a word's character.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use super::Field;
use super::lexicon::{Clitics, Lexicon, UNKNOWN};
use crate::arabic;

/// Width of one word in the automaton's haystack.
const WORD_BYTES: usize = 4;
/// Code point of word id 0; all ids map above it into the 4-byte range of UTF-8.
const ID_BASE: u32 = 0x1_0000;

/// What a phrase does for a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Role {
    /// One of the rule's terms: what scores.
    Term,
    /// Context that must be within the rule's window.
    Near,
    /// Context that vetoes a term within the rule's window.
    Unless,
    /// Context that must occur anywhere in the item.
    With,
}

/// One rule's use of a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PatternUse {
    pub rule: usize,
    pub role: Role,
}

/// A phrase found in a text: token range `[start, end)` within its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Occurrence {
    pub rule: usize,
    pub role: Role,
    pub field: Field,
    pub start: usize,
    pub end: usize,
}

/// Collects phrases (as normalized word sequences) before the automaton is built.
#[derive(Debug, Default)]
pub(crate) struct MatcherBuilder {
    phrases: Vec<Vec<String>>,
    index: HashMap<Vec<String>, usize>,
    uses: Vec<Vec<PatternUse>>,
}

impl MatcherBuilder {
    pub fn add(&mut self, words: &[String], pattern_use: PatternUse) {
        let next = self.phrases.len();
        let slot = *self.index.entry(words.to_vec()).or_insert(next);
        if slot == next {
            self.phrases.push(words.to_vec());
            self.uses.push(Vec::new());
        }
        if let Some(uses) = self.uses.get_mut(slot) {
            uses.push(pattern_use);
        }
    }

    pub fn build(self, clitics: Clitics) -> Result<Matcher, String> {
        let lexicon = Lexicon::build(self.phrases.iter().flatten().map(String::as_str), clitics);
        // Words merged by the lexicon can make two written phrases the same id sequence: keep
        // one pattern and give it the uses of both, so no occurrence is reported twice.
        let mut by_ids: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut uses: Vec<Vec<PatternUse>> = Vec::new();
        for (words, phrase_uses) in self.phrases.iter().zip(self.uses) {
            let ids: Vec<u32> = words.iter().map(|w| lexicon.id(w)).collect();
            if ids.contains(&UNKNOWN) {
                return Err(format!(
                    "internal: phrase {words:?} has a word missing from the lexicon"
                ));
            }
            let next = patterns.len();
            let slot = *by_ids.entry(ids.clone()).or_insert(next);
            if slot == next {
                let mut bytes = Vec::with_capacity(ids.len() * WORD_BYTES);
                ids.iter().for_each(|&id| push_id(&mut bytes, id));
                patterns.push(bytes);
                uses.push(Vec::new());
            }
            if let Some(slot_uses) = uses.get_mut(slot) {
                slot_uses.extend(phrase_uses);
                slot_uses.sort();
                slot_uses.dedup();
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| format!("cannot build the phrase automaton: {e}"))?;
        Ok(Matcher {
            lexicon,
            automaton,
            uses,
        })
    }
}

/// The compiled phrase matcher of a taxonomy.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    lexicon: Lexicon,
    automaton: AhoCorasick,
    uses: Vec<Vec<PatternUse>>,
}

/// One field of an item, read as words.
#[derive(Debug, Default)]
pub(crate) struct ScannedField {
    /// Byte range in the original text of the word each token came from.
    pub spans: Vec<(usize, usize)>,
    /// The automaton's haystack: one 4-byte character per token.
    haystack: Vec<u8>,
}

impl ScannedField {
    /// The original spelling of tokens `[start, end)`.
    pub fn original<'t>(&self, text: &'t str, start: usize, end: usize) -> &'t str {
        let from = self.spans.get(start).map(|s| s.0);
        let to = end
            .checked_sub(1)
            .and_then(|last| self.spans.get(last))
            .map(|s| s.1);
        match (from, to) {
            (Some(from), Some(to)) => text.get(from..to).unwrap_or(""),
            _ => "",
        }
    }
}

impl Matcher {
    /// Number of distinct words known to the taxonomy.
    pub fn word_count(&self) -> usize {
        self.lexicon.word_count()
    }

    /// Number of distinct phrases in the automaton.
    pub fn pattern_count(&self) -> usize {
        self.automaton.patterns_len()
    }

    /// Splits `text` into words exactly as [`arabic::analyze`] does, normalizes them and maps them
    /// to word ids.
    ///
    /// Hot path: ASCII words and words already in normal form (most Arabic words) are looked up
    /// as they are; only the others are normalized, which is the one allocation per word.
    #[cfg(test)]
    pub fn scan(&self, text: &str) -> ScannedField {
        self.scan_with(text, &mut |_: &str, _: &str| {})
    }

    /// [`Matcher::scan`], handing every normalized token and its match key
    /// ([`super::lexicon::match_key`]) to `on_token` as it is read, in order (one call per entry
    /// of [`ScannedField::spans`]): the model's words come from here, so the text is normalized
    /// and stemmed once.
    pub fn scan_with(&self, text: &str, on_token: &mut impl FnMut(&str, &str)) -> ScannedField {
        let mut field = ScannedField {
            spans: Vec::with_capacity(text.len() / 6),
            haystack: Vec::with_capacity(text.len() / 6 * WORD_BYTES),
        };
        let mut ascii = String::new();
        let mut word_start: Option<usize> = None;
        for (i, c) in text.char_indices() {
            match (is_word_char(c), word_start) {
                (true, None) => word_start = Some(i),
                (false, Some(start)) => {
                    self.push_word(&mut field, text, start, i, &mut ascii, on_token);
                    word_start = None;
                }
                _ => {}
            }
        }
        if let Some(start) = word_start {
            self.push_word(&mut field, text, start, text.len(), &mut ascii, on_token);
        }
        field
    }

    fn push_word(
        &self,
        field: &mut ScannedField,
        text: &str,
        start: usize,
        end: usize,
        ascii: &mut String,
        on_token: &mut impl FnMut(&str, &str),
    ) {
        let Some(word) = text.get(start..end) else {
            return;
        };
        if word.is_ascii() {
            ascii.clear();
            ascii.extend(word.chars().map(|c| c.to_ascii_lowercase()));
            field.spans.push((start, end));
            let (id, key) = self.lexicon.id_and_key(ascii);
            push_id(&mut field.haystack, id);
            on_token(ascii, key);
            return;
        }
        if word.chars().all(is_left_alone_by_normalize) {
            field.spans.push((start, end));
            let (id, key) = self.lexicon.id_and_key(word);
            push_id(&mut field.haystack, id);
            on_token(word, key);
            return;
        }
        let normalized = arabic::normalize(word);
        for token in arabic::tokens(&normalized) {
            field.spans.push((start, end));
            let (id, key) = self.lexicon.id_and_key(token);
            push_id(&mut field.haystack, id);
            on_token(token, key);
        }
    }

    /// Every occurrence of every phrase in `scanned`, for every rule that uses the phrase.
    pub fn find(&self, scanned: &ScannedField, field: Field, out: &mut Vec<Occurrence>) {
        for found in self.automaton.find_overlapping_iter(&scanned.haystack) {
            let Some(uses) = self.uses.get(found.pattern().as_usize()) else {
                continue;
            };
            let (start, end) = (found.start() / WORD_BYTES, found.end() / WORD_BYTES);
            out.extend(uses.iter().map(|u| Occurrence {
                rule: u.rule,
                role: u.role,
                field,
                start,
                end,
            }));
        }
    }
}

/// Whether `c` belongs to a word, exactly as [`arabic::analyze`] decides (alphanumeric or deleted
/// by the normalizer). Hot path: ASCII and the Arabic letters are answered without the Unicode
/// tables, which otherwise cost a third of the tagging time.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else if ('\u{0621}'..='\u{064A}').contains(&c) {
        true
    } else {
        c.is_alphanumeric() || arabic::is_deleted(c)
    }
}

/// Characters [`arabic::normalize`] leaves as they are, in any context: Arabic letters that are
/// not folded (every letter but آ أ إ ؤ ئ ة ى), lower-case ASCII letters and digits. A word made
/// only of these is already normalized, which spares most Arabic words an allocation.
fn is_left_alone_by_normalize(c: char) -> bool {
    matches!(c, 'ء' | 'ا' | 'ب' | 'ت'..='غ' | 'ف'..='و' | 'ي' | 'a'..='z' | '0'..='9')
}

/// Appends one word id as a 4-byte UTF-8 character.
fn push_id(haystack: &mut Vec<u8>, id: u32) {
    let c = char::from_u32(ID_BASE + id).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; WORD_BYTES];
    haystack.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(phrase: &str) -> Vec<String> {
        arabic::tokens(&arabic::normalize(phrase))
            .map(str::to_owned)
            .collect()
    }

    fn matcher(phrases: &[(&str, Role)]) -> Matcher {
        let mut builder = MatcherBuilder::default();
        for (rule, (phrase, role)) in phrases.iter().enumerate() {
            builder.add(&words(phrase), PatternUse { rule, role: *role });
        }
        builder.build(Clitics::default()).unwrap()
    }

    fn find(matcher: &Matcher, text: &str) -> Vec<(usize, usize, usize)> {
        let scanned = matcher.scan(text);
        let mut out = Vec::new();
        matcher.find(&scanned, Field::Body, &mut out);
        out.iter().map(|o| (o.rule, o.start, o.end)).collect()
    }

    #[test]
    fn phrases_match_as_word_sequences_in_any_inflection() {
        let m = matcher(&[("مركز بيانات", Role::Term)]);
        assert_eq!(find(&m, "افتتاح مركزُ البيانـات الجديد"), [(0, 1, 3)]);
        assert_eq!(find(&m, "مركز الشرطة وبيانات"), []);
    }

    #[test]
    fn overlapping_phrases_are_all_reported() {
        let m = matcher(&[
            ("رقائق الذكاء الاصطناعي", Role::Term),
            ("الذكاء الاصطناعي", Role::Near),
        ]);
        let mut found = find(&m, "رقائق الذكاء الاصطناعي");
        found.sort();
        assert_eq!(found, [(0, 0, 3), (1, 1, 3)]);
    }

    #[test]
    fn acronyms_split_by_dots_match_their_spaced_spelling() {
        let m = matcher(&[("إكس إيه آي", Role::Term), ("xAI", Role::Term)]);
        assert_eq!(find(&m, "قالت إكس إيه. آي إن"), [(0, 1, 4)]);
        assert_eq!(find(&m, "XAI's cluster"), [(1, 0, 1)]);
    }

    #[test]
    fn a_match_never_starts_inside_a_word() {
        // Several hundred distinct words, so ids need more than one byte of the 4-byte encoding.
        let mut builder = MatcherBuilder::default();
        for n in 0..600 {
            builder.add(
                &[format!("w{n}"), format!("w{}", n + 1)],
                PatternUse {
                    rule: n,
                    role: Role::Term,
                },
            );
        }
        let m = builder.build(Clitics::default()).unwrap();
        let found = find(&m, "w7 w8 x w599 w600");
        assert_eq!(found, [(7, 0, 2), (599, 3, 5)]);
    }

    #[test]
    fn word_characters_are_those_of_arabic_analyze() {
        for c in ('\u{0}'..='\u{FFFF}').chain('\u{10000}'..='\u{1FFFF}') {
            assert_eq!(
                is_word_char(c),
                c.is_alphanumeric() || arabic::is_deleted(c),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn characters_of_the_fast_path_are_exactly_those_normalize_keeps() {
        for c in ('\u{0600}'..='\u{06FF}').chain('\u{0000}'..='\u{007F}') {
            if is_left_alone_by_normalize(c) {
                let alone = c.to_string();
                assert_eq!(arabic::normalize(&alone), alone, "{c:?} U+{:04X}", c as u32);
                // Not composed with a neighbour either.
                let pair = format!("{c}{c}");
                assert_eq!(arabic::normalize(&pair), pair);
            }
        }
        assert!(!is_left_alone_by_normalize('أ'));
        assert!(!is_left_alone_by_normalize('ة'));
        assert!(!is_left_alone_by_normalize('A'));
    }

    #[test]
    fn original_spelling_is_recovered_from_token_positions() {
        let m = matcher(&[("مراكز بيانات", Role::Term)]);
        let text = "بناء «مراكزِ البياناتِ» الجديدة";
        let scanned = m.scan(text);
        assert_eq!(scanned.original(text, 1, 3), "مراكزِ البياناتِ");
        assert_eq!(scanned.original(text, 3, 9), "");
    }
}
