//! The tagger's vocabulary: which words of a text are words of the taxonomy, and which ones.
//!
//! Every word written in the taxonomy gets a small integer id; a text is read as a stream of those
//! ids (0 for "not a taxonomy word"), and the automaton in [`super::matcher`] matches phrases as id
//! sequences. Deciding that two spellings are the same word happens here, once per word:
//!
//! - the normalized, lightly stemmed form ([`crate::arabic::stem`]) covers the article, و, and
//!   the plural, feminine and possessive suffixes (`مراكز البيانات` = `مراكز بيانات`);
//! - the stemmer strips a leading و whenever three letters remain, which cuts the root letter of
//!   `وحدات` (→ `حد`) but not of `الوحدات` (→ `وحد`), so a term word is also registered under its
//!   suffix-only stem, and term words that share any form get the same id;
//! - one-letter clitics the stemmer leaves alone (ب ل ك ف, and و before them: `لمراكز`,
//!   `بوحدات`, `وبرقائق`) are stripped only when what remains is a taxonomy word, never from the
//!   words the taxonomy lists as `keep_whole` (`بطاقة` is a card, not ب + `طاقة`);
//! - ة written ت before a possessive (`منطقتها`, `قدرتها`) is read as ة;
//! - an Arabic clitic glued to a Latin word (`وAMD`, `لـAWS`) is dropped;
//! - the alef of the accusative tanween (`عنقوداً`, `آلافاً`) is dropped;
//! - a stemmed form shorter than three letters is never used, on either side: it merges
//!   unrelated words (`ديون` → `دي`, `بنية` → `بن`, `وحدات` → `حد`).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::arabic;

/// Id of every word that is not in the taxonomy.
pub(crate) const UNKNOWN: u32 = 0;

/// How one-letter clitics are read (from the taxonomy file's `[clitics]` table).
#[derive(Debug, Clone, Default)]
pub(crate) struct Clitics {
    /// Normalized prefixes, longest first so `وب` is tried before `و`.
    pub prefixes: Vec<String>,
    /// Fewest letters that must remain after the prefix.
    pub min_rest: usize,
    /// Normalized words never split into clitic + word.
    pub keep_whole: HashSet<String>,
}

/// Maps normalized words to taxonomy word ids.
#[derive(Debug, Clone)]
pub(crate) struct Lexicon {
    ids: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
    clitics: Clitics,
}

impl Lexicon {
    /// Builds the lexicon from every word used by the taxonomy (normalized, one token each).
    pub fn build<'a>(words: impl IntoIterator<Item = &'a str>, clitics: Clitics) -> Lexicon {
        let mut sets = DisjointSets::default();
        let mut key_node: HashMap<String, usize> = HashMap::new();
        for word in words {
            let node = sets.add();
            for key in word_keys(word) {
                match key_node.get(&key) {
                    Some(&other) => sets.union(node, other),
                    None => {
                        key_node.insert(key, node);
                    }
                }
            }
        }
        // Dense ids, 1-based, one per group of words that share a form.
        let mut root_id: HashMap<usize, u32> = HashMap::new();
        let mut ids = HashMap::with_capacity_and_hasher(key_node.len(), Default::default());
        for (key, node) in key_node {
            let root = sets.find(node);
            let next = u32::try_from(root_id.len() + 1).unwrap_or(u32::MAX);
            let id = *root_id.entry(root).or_insert(next);
            ids.insert(key.into_boxed_str(), id);
        }
        Lexicon { ids, clitics }
    }

    /// Number of distinct word ids (not counting [`UNKNOWN`]).
    pub fn word_count(&self) -> usize {
        self.ids.values().collect::<HashSet<_>>().len()
    }

    /// The id of one normalized token of a text, or [`UNKNOWN`].
    ///
    /// Hot path: called once per word of every item; the common cases only hash borrowed slices.
    pub fn id(&self, token: &str) -> u32 {
        self.id_and_key(token).0
    }

    /// [`Lexicon::id`] and the token's [`match_key`], which share the one stemming of the token
    /// (the model keys its word features by the latter).
    pub fn id_and_key<'t>(&self, token: &'t str) -> (u32, &'t str) {
        let stem = arabic::stem(token);
        let key = usable(token, stem).unwrap_or(token);
        let found = self
            .plain_id_with(token, stem)
            .or_else(|| self.id_without_clitic(token))
            .or_else(|| self.id_of_latin_tail(token))
            .or_else(|| self.id_with_ta_marbuta(token))
            .or_else(|| self.id_without_tanween_alef(token));
        (found.unwrap_or(UNKNOWN), key)
    }

    /// The token by its stem, as written, or without its prefix.
    fn plain_id(&self, token: &str) -> Option<u32> {
        self.plain_id_with(token, arabic::stem(token))
    }

    /// [`Lexicon::plain_id`] with the token's stem already known.
    fn plain_id_with(&self, token: &str, stem: &str) -> Option<u32> {
        usable(token, stem)
            .and_then(|stem| self.ids.get(stem))
            .or_else(|| self.ids.get(token))
            .or_else(|| usable(token, without_prefix(token, stem)).and_then(|w| self.ids.get(w)))
            .copied()
    }

    fn id_without_clitic(&self, token: &str) -> Option<u32> {
        let mut rests = self
            .clitics
            .prefixes
            .iter()
            .filter_map(|prefix| token.strip_prefix(prefix.as_str()))
            .filter(|rest| rest.chars().count() >= self.clitics.min_rest)
            .peekable();
        // Checked only when a clitic could be there: most words start with other letters.
        if rests.peek().is_none() || self.clitics.keep_whole.contains(token) {
            return None;
        }
        rests.find_map(|rest| self.plain_id(rest))
    }

    /// `عنقوداً` → `عنقود`: the alef that carries the accusative tanween (the tanween mark itself
    /// is removed by the normalizer).
    fn id_without_tanween_alef(&self, token: &str) -> Option<u32> {
        let rest = token.strip_suffix('ا')?;
        if rest.chars().count() < MIN_DERIVED_CHARS {
            return None;
        }
        self.plain_id(rest).or_else(|| self.id_without_clitic(rest))
    }

    /// `منطقتها` read as `منطقة` + `ها`.
    fn id_with_ta_marbuta(&self, token: &str) -> Option<u32> {
        let base = without_ta_and_possessive(token)?;
        // base + ه, built on the stack: this runs for many words of every text.
        let mut buf = [0u8; 64];
        let end = base.len() + 'ه'.len_utf8();
        let slot = buf.get_mut(..end)?;
        let (head, tail) = slot.split_at_mut(base.len());
        head.copy_from_slice(base.as_bytes());
        'ه'.encode_utf8(tail);
        let restored = std::str::from_utf8(slot).ok()?;
        self.plain_id(restored)
    }

    /// `وamd` → `amd`: a short Arabic clitic written against a Latin name or model number.
    fn id_of_latin_tail(&self, token: &str) -> Option<u32> {
        let start = token.find(|c: char| c.is_ascii_alphanumeric())?;
        let head = token.get(..start)?;
        let tail = token.get(start..)?;
        let short_arabic =
            (1..=3).contains(&head.chars().count()) && head.chars().all(is_arabic_letter);
        if short_arabic && tail.is_ascii() {
            self.ids.get(tail).copied()
        } else {
            None
        }
    }
}

/// Shortest stemmed form used for matching.
const MIN_DERIVED_CHARS: usize = 3;

/// `form` if it may be used for `word`: the word itself, or a derived form long enough to keep
/// unrelated words apart.
fn usable<'a>(word: &str, form: &'a str) -> Option<&'a str> {
    (form == word || form.chars().count() >= MIN_DERIVED_CHARS).then_some(form)
}

/// The token without the prefix the stemmer strips (article, و), keeping its suffixes:
/// `الديون` → `ديون` where the full stem `دي` is too short to use. The stem is a slice of the
/// token, so where it starts says where the prefix ends.
fn without_prefix<'a>(token: &'a str, stem: &str) -> &'a str {
    let offset = (stem.as_ptr() as usize).wrapping_sub(token.as_ptr() as usize);
    match token.get(offset..) {
        Some(rest) if rest.starts_with(stem) => rest,
        _ => token,
    }
}

/// Possessive endings after which ة is written ت.
const POSSESSIVES: [&str; 7] = ["ها", "هم", "هن", "كم", "نا", "ه", "ي"];

/// `منطقتها` → `منطق`: the word without ت + a possessive, to which ة is put back.
fn without_ta_and_possessive(token: &str) -> Option<&str> {
    POSSESSIVES.iter().find_map(|suffix| {
        let base = token.strip_suffix(suffix)?.strip_suffix('ت')?;
        (base.chars().count() >= 2).then_some(base)
    })
}

/// The forms under which one taxonomy word is registered: itself, its stem, and its suffix-only
/// stem (the stem without reading a leading و as a clitic), leaving out forms too short to use.
fn word_keys(word: &str) -> Vec<String> {
    let mut keys = vec![word.to_owned()];
    let stem = arabic::stem(word);
    keys.extend(usable(word, stem).map(str::to_owned));
    keys.extend(usable(word, without_prefix(word, stem)).map(str::to_owned));
    if word.chars().any(is_arabic_letter) && !word.starts_with("ال") {
        // With the article in front, the stemmer strips the article and leaves the rest whole.
        let with_article = format!("ال{word}");
        let suffix_only = arabic::stem(&with_article);
        if suffix_only != with_article {
            keys.extend(usable(word, suffix_only).map(str::to_owned));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The form two spellings of a phrase word share when the lexicon treats them as one word.
pub(crate) fn match_key(word: &str) -> &str {
    usable(word, arabic::stem(word)).unwrap_or(word)
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}')
}

/// Union-find over word nodes, for merging words that share a form.
#[derive(Default)]
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn add(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.parent.len() - 1
    }

    fn find(&mut self, mut node: usize) -> usize {
        while let Some(&parent) = self.parent.get(node) {
            if parent == node {
                break;
            }
            let grandparent = self.parent.get(parent).copied().unwrap_or(parent);
            if let Some(slot) = self.parent.get_mut(node) {
                *slot = grandparent;
            }
            node = parent;
        }
        node
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb
            && let Some(slot) = self.parent.get_mut(ra)
        {
            *slot = rb;
        }
    }
}

/// A small, fast, non-cryptographic hasher for short keys (the idea of rustc's FxHasher). The
/// keys are taxonomy words chosen by the maintainer, so hash flooding is not a concern; SipHash
/// would cost a noticeable share of the per-word budget.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(buf));
        }
        for &byte in chunks.remainder() {
            self.add(u64::from(byte));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(words: &[&str]) -> Lexicon {
        let normalized: Vec<String> = words.iter().map(|w| arabic::normalize(w)).collect();
        let clitics = Clitics {
            prefixes: ["وب", "ول", "و", "ب", "ل"].map(String::from).to_vec(),
            min_rest: 4,
            keep_whole: HashSet::from(["بطاقه".to_owned()]),
        };
        Lexicon::build(normalized.iter().map(String::as_str), clitics)
    }

    fn id(lexicon: &Lexicon, word: &str) -> u32 {
        lexicon.id(&arabic::normalize(word))
    }

    #[test]
    fn definite_plural_and_clitic_forms_share_the_id_of_the_listed_word() {
        let lex = lexicon(&["بيانات", "رقاقات"]);
        let data = id(&lex, "بيانات");
        assert_ne!(data, UNKNOWN);
        for form in ["البيانات", "والبيانات", "للبيانات", "بياناتها"]
        {
            assert_eq!(id(&lex, form), data, "{form}");
        }
        assert_eq!(id(&lex, "الرقاقات"), id(&lex, "رقاقة"));
    }

    #[test]
    fn words_whose_first_letter_is_waw_match_with_and_without_conjunction_or_article() {
        let lex = lexicon(&["وحدات"]);
        let units = id(&lex, "وحدات");
        assert_ne!(units, UNKNOWN);
        for form in ["ووحدات", "الوحدات", "بوحدات", "لوحدات"] {
            assert_eq!(id(&lex, form), units, "{form}");
        }
    }

    #[test]
    fn one_letter_clitics_are_stripped_only_before_taxonomy_words() {
        let lex = lexicon(&["مراكز"]);
        assert_eq!(id(&lex, "لمراكز"), id(&lex, "مراكز"));
        assert_eq!(id(&lex, "وبمراكز"), id(&lex, "مراكز"));
        assert_eq!(id(&lex, "لمدارس"), UNKNOWN);
    }

    #[test]
    fn keep_whole_words_are_not_split_into_clitic_and_word() {
        let lex = lexicon(&["طاقة"]);
        assert_ne!(id(&lex, "لطاقات"), UNKNOWN);
        assert_eq!(id(&lex, "بطاقة"), UNKNOWN);
    }

    #[test]
    fn unrelated_words_are_unknown() {
        let lex = lexicon(&["مراكز", "بيانات"]);
        assert_eq!(id(&lex, "الشرطة"), UNKNOWN);
        assert_eq!(id(&lex, "h100"), UNKNOWN);
        assert_eq!(lex.word_count(), 2);
    }

    #[test]
    fn stems_shorter_than_three_letters_do_not_merge_words() {
        // ديون (debts) stems to دي, the last letter of إيه إم دي (AMD).
        let lex = lexicon(&["ديون", "دي"]);
        assert_ne!(id(&lex, "ديون"), id(&lex, "دي"));
        assert_eq!(id(&lex, "الديون"), id(&lex, "ديون"));
    }

    #[test]
    fn ta_marbuta_written_before_a_possessive_is_read_back() {
        let lex = lexicon(&["منطقة", "سعة"]);
        assert_eq!(id(&lex, "منطقتها"), id(&lex, "منطقة"));
        assert_eq!(id(&lex, "سعتها"), id(&lex, "سعة"));
        assert_eq!(id(&lex, "ومنطقتنا"), id(&lex, "منطقة"));
        assert_eq!(id(&lex, "وقتها"), UNKNOWN);
    }

    #[test]
    fn the_alef_of_the_accusative_tanween_is_dropped() {
        let lex = lexicon(&["عنقود", "آلاف"]);
        assert_eq!(id(&lex, "عنقوداً"), id(&lex, "عنقود"));
        assert_eq!(id(&lex, "آلافاً"), id(&lex, "آلاف"));
        assert_eq!(id(&lex, "وعنقوداً"), id(&lex, "عنقود"));
    }

    #[test]
    fn arabic_clitic_glued_to_a_latin_word_is_dropped() {
        let lex = lexicon(&["AMD", "H200"]);
        assert_eq!(id(&lex, "وAMD"), id(&lex, "AMD"));
        assert_eq!(id(&lex, "لـH200"), id(&lex, "h200"));
        assert_eq!(id(&lex, "مجموعةAMD"), UNKNOWN);
    }
}
