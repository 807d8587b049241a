//! What an item says, as weighted terms: the normalized, lightly stemmed words of its title and
//! the lead of its summary, its numbers and its named entities.
//!
//! Outlets retell one event in their own words, so single words carry little; what they keep
//! are the names and the figures. Numbers are read whole (`51.2`, `٥١٫٢`, `18,000`, `18 ألف`,
//! `بعشرة`), entities are found under every spelling (crate::stories::lexicon) and weigh more
//! than words, and function words are dropped.

use crate::arabic::{normalize, stem};

use super::lexicon::{EntityKind, LEXICON};
use super::pieces::{Piece, number_text, pieces};

/// Words of the summary read after the title: the lead, where outlets state the event.
const LEAD_PIECES: usize = 45;
/// Title terms count more: the headline is what the item is about.
const TITLE_BOOST: f32 = 1.5;
const ENTITY_BOOST: f32 = 2.5;
const PARENT_PLACE_BOOST: f32 = 1.0;
const LATIN_BOOST: f32 = 1.5;
const WORD_BOOST: f32 = 1.0;
/// Figures with two or more digits, or a fraction, rarely repeat by chance.
const FIGURE_BOOST: f32 = 2.5;
/// Single digits, and the whole part of a fraction: common, but still a hint.
const DIGIT_BOOST: f32 = 0.6;
const WHOLE_PART_BOOST: f32 = 1.2;

/// One term of an item, with how much it counts before rarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    pub key: u64,
    pub boost: f32,
    /// A company or place, as opposed to what the item says about it.
    pub entity: bool,
}

/// An item's terms (sorted by key, each once), and the facts that can contradict another
/// item's.
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub terms: Vec<Term>,
    pub facts: Facts,
}

/// The names and figures of an item that can contradict another item's: each kind in the title
/// and in the whole text. Entities are lexicon indices (`places` includes the country of every
/// city mentioned, `orgs` the company of every part); figures are the term keys of numbers.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub title_orgs: Vec<u16>,
    pub orgs: Vec<u16>,
    pub title_places: Vec<u16>,
    pub places: Vec<u16>,
    pub title_figures: Vec<u64>,
    pub figures: Vec<u64>,
    /// Days of the week named, one bit each (Sunday = bit 0).
    pub weekdays: u8,
}

impl Features {
    /// Reads the terms of an item from its title and summary.
    pub fn of(title: &str, summary: &str) -> Features {
        extract(title, summary)
    }
}

fn extract(title: &str, summary: &str) -> Features {
    let mut builder = Builder::default();
    builder.add_text(&pieces(&normalize(title)), true);
    builder.add_text(&lead(summary), false);
    builder.finish()
}

/// The first `LEAD_PIECES` pieces of a summary. Summaries run to hundreds of words, so only a
/// prefix of whole words is normalized and split when it gives enough pieces: that is the same
/// as cutting the pieces of the whole, since no piece spans whitespace and normalizing never
/// joins across it.
fn lead(summary: &str) -> Vec<Piece> {
    let prefix = first_words(summary, LEAD_PIECES + LEAD_PIECES / 2);
    let mut lead = pieces(&normalize(prefix));
    if lead.len() < LEAD_PIECES && prefix.len() < summary.len() {
        lead = pieces(&normalize(summary));
    }
    lead.truncate(LEAD_PIECES);
    lead
}

/// The text up to the end of its `count`th word, words being separated by ASCII whitespace
/// (a byte scan: this runs on every summary).
fn first_words(text: &str, count: usize) -> &str {
    let mut words = 0;
    let mut in_word = false;
    for (at, byte) in text.bytes().enumerate() {
        if byte.is_ascii_whitespace() {
            if in_word {
                words += 1;
                if words == count {
                    return text.get(..at).unwrap_or(text);
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    text
}

/// How a number was written.
#[derive(Debug, Clone, Copy)]
enum Written {
    /// In digits; `figure` when a magnitude word follows (`5 مليارات`).
    Digits {
        figure: bool,
    },
    Words,
}

#[derive(Default)]
struct Builder {
    terms: Vec<Term>,
    facts: Facts,
}

impl Builder {
    fn add_text(&mut self, pieces: &[Piece], in_title: bool) {
        let scale = if in_title { TITLE_BOOST } else { 1.0 };
        let texts: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
        let mut i = 0;
        while let Some(piece) = pieces.get(i) {
            let rest = texts.get(i..).unwrap_or_default();
            let reading = LEXICON.read(&piece.text);
            if let Some((entity, used)) = LEXICON.entity_at(&reading, rest) {
                self.add_entity(entity, in_title, scale);
                i += used;
                continue;
            }
            if let Some(value) = piece.number {
                let next = pieces.get(i + 1).map(|p| p.text.as_str()).unwrap_or("");
                let next = LEXICON.read(next);
                let scaled = next.scale.map(|factor| value * factor as f64);
                let figure = next.magnitude;
                self.add_number(value, scaled, Written::Digits { figure }, in_title);
            } else if piece.text.contains('-') {
                self.add_figure(&piece.text, in_title);
            } else if let Some(day) = reading.weekday {
                self.facts.weekdays |= 1 << day;
            } else if let Some(value) = reading.number {
                // "الثامنة والأربعين" is 48: a unit, then و and the tens.
                let tens = pieces
                    .get(i + 1)
                    .filter(|next| value < 10 && next.text.starts_with('و'))
                    .and_then(|next| LEXICON.number_word(&next.text))
                    .filter(|t| *t >= 20 && t % 10 == 0);
                let total = f64::from(value + tens.unwrap_or(0));
                self.add_number(total, None, Written::Words, in_title);
                i += usize::from(tens.is_some());
            } else if !reading.stopword {
                self.add_word(&piece.text, scale);
            }
            i += 1;
        }
    }

    fn add_entity(&mut self, entity: u16, in_title: bool, scale: f32) {
        let Some(info) = LEXICON.entities.get(usize::from(entity)) else {
            return;
        };
        self.push(&format!("e:{}", info.key), ENTITY_BOOST * scale);
        let (title_set, all_set) = match info.kind {
            EntityKind::Organization => (&mut self.facts.title_orgs, &mut self.facts.orgs),
            EntityKind::Place => (&mut self.facts.title_places, &mut self.facts.places),
        };
        if in_title {
            title_set.push(entity);
        }
        all_set.push(entity);
        if let Some(parent) = info.parent {
            all_set.push(parent);
            // A country says less than its city; a company says as much as its part (AWS is
            // Amazon, Stargate UAE is Stargate).
            let boost = match info.kind {
                EntityKind::Organization => ENTITY_BOOST,
                EntityKind::Place => PARENT_PLACE_BOOST,
            };
            if let Some(whole) = LEXICON.entities.get(usize::from(parent)) {
                self.push(&format!("e:{}", whole.key), boost * scale);
            }
        }
    }

    /// Adds a number. Figures (ten or more, fractions, or before a magnitude word) weigh most.
    /// Headline figures and numbers in words (الثانية, "the second" phase or round) can
    /// contradict another headline's; a bare single digit (1%) says too little to.
    fn add_number(&mut self, value: f64, scaled: Option<f64>, written: Written, in_title: bool) {
        let scale = if in_title { TITLE_BOOST } else { 1.0 };
        let is_fraction = value.fract() != 0.0;
        let figure =
            matches!(written, Written::Digits { figure: true }) || is_fraction || value >= 10.0;
        let boost = if figure { FIGURE_BOOST } else { DIGIT_BOOST };
        let key = self.push(&format!("n:{}", number_text(value)), boost * scale);
        let telling = figure || matches!(written, Written::Words);
        self.note_figure(key, in_title && telling);
        if is_fraction {
            let whole = format!("n:{}", number_text(value.trunc()));
            let key = self.push(&whole, WHOLE_PART_BOOST * scale);
            self.facts.figures.push(key);
        }
        if let Some(scaled) = scaled {
            let key = self.push(&format!("n:{}", number_text(scaled)), FIGURE_BOOST * scale);
            self.facts.figures.push(key);
        }
    }

    /// Adds a score or model number (`2-1`, `777-9`).
    fn add_figure(&mut self, text: &str, in_title: bool) {
        let scale = if in_title { TITLE_BOOST } else { 1.0 };
        let key = self.push(&format!("n:{text}"), FIGURE_BOOST * scale);
        self.note_figure(key, in_title);
    }

    fn note_figure(&mut self, key: u64, in_title: bool) {
        self.facts.figures.push(key);
        if in_title {
            self.facts.title_figures.push(key);
        }
    }

    fn add_word(&mut self, word: &str, scale: f32) {
        let stemmed = deeper_stem(stem(word));
        if stemmed.chars().count() < 2 {
            return;
        }
        let latin = stemmed.chars().any(|c| c.is_ascii_alphabetic());
        let boost = if latin { LATIN_BOOST } else { WORD_BOOST };
        // ج and غ both write the /g/ of foreign names (هوانج / هوانغ, جيجاواط / غيغاواط).
        let folded: String = stemmed
            .chars()
            .map(|c| if c == 'ج' { 'غ' } else { c })
            .collect();
        self.push(&format!("w:{folded}"), boost * scale);
    }

    fn push(&mut self, key: &str, boost: f32) -> u64 {
        let entity = key.starts_with("e:");
        let key = fnv1a(key.as_bytes());
        self.terms.push(Term { key, boost, entity });
        key
    }

    fn finish(mut self) -> Features {
        // Each term once, at its strongest.
        self.terms
            .sort_by(|a, b| a.key.cmp(&b.key).then(b.boost.total_cmp(&a.boost)));
        self.terms.dedup_by_key(|t| t.key);
        let mut facts = self.facts;
        for set in [
            &mut facts.title_orgs,
            &mut facts.orgs,
            &mut facts.title_places,
            &mut facts.places,
        ] {
            set.sort_unstable();
            set.dedup();
        }
        for set in [&mut facts.title_figures, &mut facts.figures] {
            set.sort_unstable();
            set.dedup();
        }
        Features {
            terms: self.terms,
            facts,
        }
    }
}

/// What the light stemmer leaves and outlets vary: a one-letter proclitic (بفوز, لشراء) and the
/// accusative alef (فوزا, قياسيا, then the adjective's ي). Both sides of every comparison go
/// through the same steps, so a word only has to be reduced consistently, not correctly.
fn deeper_stem(stemmed: &str) -> &str {
    let mut word = stemmed;
    if word.chars().count() >= 4
        && let Some(rest) = word.strip_suffix('ا')
    {
        word = rest;
        if word.chars().count() >= 4
            && let Some(rest) = word.strip_suffix('ي')
        {
            word = rest;
        }
    }
    if word.chars().count() >= 4
        && let Some(rest) = ["ب", "ل", "ف", "ك"]
            .iter()
            .find_map(|p| word.strip_prefix(p))
    {
        word = rest;
    }
    word
}

/// 64-bit FNV-1a: a stable hash, so term keys (and with them every result) are the same on every
/// run and machine.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(features: &Features, key: &str) -> bool {
        let key = fnv1a(key.as_bytes());
        features.terms.iter().any(|t| t.key == key)
    }

    #[test]
    fn the_lead_read_from_a_prefix_equals_the_lead_of_the_whole_summary() {
        let article =
            include_str!("../../tests/fixtures/articles/microsoft_xai_ai_infrastructure.txt");
        let mut texts = vec![
            article.to_owned(),
            "٥١٫٢ مليار، و18,000 شريحة بـ10 مليارات؛ H100 وGB300 ".repeat(20),
            "  . , ؛ ".repeat(100) + &"كلمة ".repeat(50),
            "قصير جدا".to_owned(),
            String::new(),
        ];
        texts.extend(article.lines().map(str::to_owned));
        for text in texts {
            let whole: Vec<Piece> = pieces(&normalize(&text))
                .into_iter()
                .take(LEAD_PIECES)
                .collect();
            assert_eq!(lead(&text), whole, "{text}");
        }
    }

    #[test]
    fn first_words_ends_at_the_end_of_a_word() {
        assert_eq!(first_words("  one two\tthree four", 3), "  one two\tthree");
        assert_eq!(first_words("one two", 5), "one two");
    }

    #[test]
    fn the_same_figure_written_differently_is_one_term() {
        let a = extract("18 ألف شريحة", "");
        let b = extract("١٨٬٠٠٠ شريحة", "");
        assert!(has(&a, "n:18000") && has(&b, "n:18000"));
        let c = extract("بعشرة مليارات", "");
        assert!(has(&c, "n:10"));
        let d = extract("الدورة الثامنة والأربعين", "");
        assert!(has(&d, "n:48"));
    }

    #[test]
    fn a_fraction_also_counts_as_its_whole_part() {
        let a = extract("51.2 مليار دولار", "");
        assert!(has(&a, "n:51.2") && has(&a, "n:51"));
    }

    #[test]
    fn spellings_of_one_company_are_one_term_and_stopwords_are_dropped() {
        let a = extract("إنفيديا تعلن", "");
        let b = extract("Nvidia تعلن", "");
        assert_eq!(a.terms, b.terms);
        assert!(has(&a, "e:nvidia"));
        assert!(!has(&a, "w:تعلن"));
    }

    #[test]
    fn cities_bring_their_country_and_title_entities_are_kept_apart() {
        let f = extract("أمطار في الإسكندرية", "قالت مايكروسوفت");
        assert!(has(&f, "e:alexandria") && has(&f, "e:egypt"));
        assert_eq!(f.facts.title_places.len(), 1);
        assert_eq!(f.facts.places.len(), 2);
        assert!(f.facts.title_orgs.is_empty());
        assert_eq!(f.facts.orgs.len(), 1);
    }

    #[test]
    fn title_terms_weigh_more_than_lead_terms() {
        let f = extract("أمطار", "فيضان");
        let rain = f
            .terms
            .iter()
            .find(|t| t.key == fnv1a("w:امطار".as_bytes()));
        let flood = f.terms.iter().find(|t| t.key == fnv1a("w:فيض".as_bytes()));
        assert!(rain.unwrap().boost > flood.unwrap().boost);
    }

    #[test]
    fn jeem_and_ghain_spellings_of_a_name_meet() {
        let a = extract("جنسن هوانج", "");
        let b = extract("جنسن هوانغ", "");
        assert_eq!(a.terms, b.terms);
    }
}
