//! Word lists the story features need: function words to ignore, the spellings Arabic outlets
//! use for the same company or place, and number words.
//!
//! Companies, funds, projects and products come from the knowledge base (crate::entities,
//! `config/entities.toml`), places from [`super::places`]. Entries are written as outlets write
//! them and normalized once at start-up (crate::arabic::normalize), so hamza, alef and
//! teh-marbuta variants need not be listed. Letter variants the normalizer keeps apart
//! (جوجل/غوغل, بوينغ/بوينج) are listed, as are Latin forms. The lists are general knowledge of
//! Arabic news writing, not fitted to any labelled item.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use crate::arabic::{normalize, tokens};

use super::places::PLACES;

/// Words that say nothing about which event an item reports: particles, pronouns, reporting
/// verbs, and relative time words ("today", "on Thursday") that every outlet phrases its own way.
const STOPWORDS: &str = "
في من على إلى الى عن مع أن إن ان أنه أنها إنه إنها بأن لأن كان كانت يكون تكون قد لقد لم لن لا
ما ماذا هذا هذه ذلك تلك هؤلاء هو هي هم هما نحن التي الذي الذين اللذين اللتين كما كل بعض بين
بعد قبل خلال حتى منذ عند عندما حيث أو ثم إذا لكن غير أي فيه فيها منه منها عليه عليها إليه
إليها له لها لهم به بها ذات نحو حول ضمن دون عبر وفق وفقا بحسب حسب لدى أمام تحت فوق أيضا فقط
جدا مثل كذلك بينما إذ وسط لدي يتم تم وذلك عليهم منهم لديها لديه
قال قالت يقول تقول أعلن أعلنت يعلن تعلن أكد أكدت يؤكد أضاف أضافت أوضح أوضحت أفاد أفادت
ذكر ذكرت أشار أشارت نقلا حسبما بيان وأشار
اليوم أمس غدا الليلة صباح مساء فجر الجاري
المقبل الماضي الحالي العام عام الشهر شهر الأسبوع أسبوع يوم
إيه اي آي إم دي كيه إس إكس جي تي بي
the of and in to a an for on at by with from is as
";

/// Number words, cardinal and ordinal, with their value.
const NUMBER_WORDS: &[(u32, &[&str])] = &[
    (1, &["الأول", "الأولى"]),
    (2, &["اثنان", "اثنين", "الثاني", "الثانية"]),
    (3, &["ثلاث", "ثلاثة", "الثالث", "الثالثة"]),
    (4, &["أربع", "أربعة", "الرابع", "الرابعة"]),
    (5, &["خمس", "خمسة", "الخامس", "الخامسة"]),
    (6, &["ستة", "السادس", "السادسة"]),
    (7, &["سبع", "سبعة", "السابع", "السابعة"]),
    (8, &["ثماني", "ثمانية", "الثامن", "الثامنة"]),
    (9, &["تسع", "تسعة", "التاسع", "التاسعة"]),
    (10, &["عشر", "عشرة", "العاشر", "العاشرة"]),
    (20, &["عشرون", "عشرين", "العشرون", "العشرين"]),
    (30, &["ثلاثون", "ثلاثين", "الثلاثين"]),
    (40, &["أربعون", "أربعين", "الأربعين"]),
    (50, &["خمسون", "خمسين", "الخمسين"]),
    (60, &["ستون", "ستين", "الستين"]),
    (70, &["سبعون", "سبعين", "السبعين"]),
    (80, &["ثمانون", "ثمانين", "الثمانين"]),
    (90, &["تسعون", "تسعين", "التسعين"]),
    (100, &["مئة", "مائة"]),
];

/// Words that multiply the number before them, so `18 ألف` and `18,000` meet.
const SCALES: &[(u64, &[&str])] = &[(1000, &["ألف", "آلاف", "الف"])];

/// Days of the week, Sunday first. Outlets name the day an event happened ("on Thursday");
/// they are kept out of the terms and compared on their own.
const WEEKDAYS: [&str; 7] = [
    "الأحد",
    "الاثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
];

/// Words after which even a one-digit number is a figure worth matching (`5 مليارات`).
const MAGNITUDES: &str = "مليار مليارات مليارا مليون ملايين مليونا ألف آلاف ألفا تريليون تريليونات";

/// What kind of name an entity is: contradictions are checked per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Organization,
    Place,
}

/// One named entity of the lexicon.
#[derive(Debug, Clone)]
pub struct Entity {
    pub key: &'static str,
    pub kind: EntityKind,
    /// The country of a city; the company or programme of a part (AWS, Stargate UAE).
    pub parent: Option<u16>,
}

/// The lexicon, normalized and indexed for lookup: one map from each written form to all it
/// means, since every word of every item is looked up (as written and without each proclitic).
pub struct Lexicon {
    senses: FxHashMap<String, Senses>,
    pub entities: Vec<Entity>,
}

/// What one written form means.
#[derive(Debug, Default)]
struct Senses {
    stopword: bool,
    /// Spellings starting with this word: (remaining words, entity index).
    spellings: Vec<(Vec<String>, u16)>,
    number: Option<u32>,
    scale: Option<u64>,
    magnitude: bool,
    weekday: Option<u8>,
}

/// What the lexicon says of a word written as is or without a proclitic: each sense from the
/// first form that has it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading<'l> {
    spellings: Option<&'l [(Vec<String>, u16)]>,
    pub stopword: bool,
    pub number: Option<u32>,
    pub scale: Option<u64>,
    pub magnitude: bool,
    pub weekday: Option<u8>,
}

/// The one lexicon, built on first use.
pub static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

/// Proclitics tried, longest first, when a word is not found as written.
const PROCLITICS: [&str; 11] = [
    "وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ل", "ف", "ك",
];

fn words(text: &str) -> Vec<String> {
    let normalized = normalize(text);
    tokens(&normalized).map(str::to_owned).collect()
}

impl Lexicon {
    fn build() -> Lexicon {
        let mut lexicon = Lexicon {
            senses: FxHashMap::default(),
            entities: Vec::new(),
        };
        for word in words(STOPWORDS) {
            lexicon.sense(word).stopword = true;
        }
        for word in words(MAGNITUDES) {
            lexicon.sense(word).magnitude = true;
        }
        for (day, n) in WEEKDAYS.iter().zip(0u8..) {
            for word in words(day) {
                lexicon.sense(word).weekday = Some(n);
            }
        }
        // A part (AWS, Stargate UAE) has its company or programme as parent, as a city has its
        // country: outlets name either for the same news. Top-level entities first, so that each
        // part finds its parent's index.
        let entities = crate::entities::builtin();
        let (tops, parts): (Vec<_>, Vec<_>) = entities.iter().partition(|e| e.part_of.is_none());
        for entity in tops.into_iter().chain(parts) {
            let parent = entities.parent(entity).and_then(|p| {
                let index = lexicon.entities.iter().position(|e| e.key == p.id)?;
                u16::try_from(index).ok()
            });
            let spellings = entity.forms().iter().cloned();
            lexicon.add_entity(&entity.id, EntityKind::Organization, parent, spellings);
        }
        for (key, parent, spellings) in PLACES {
            let parent = lexicon.entities.iter().position(|e| e.key == *parent);
            let parent = parent.and_then(|p| u16::try_from(p).ok());
            let spellings = spellings.iter().map(|s| words(s));
            lexicon.add_entity(key, EntityKind::Place, parent, spellings);
        }
        for (value, forms) in NUMBER_WORDS {
            for word in forms.iter().flat_map(|form| words(form)) {
                lexicon.sense(word).number = Some(*value);
            }
        }
        for (value, forms) in SCALES {
            for word in forms.iter().flat_map(|form| words(form)) {
                lexicon.sense(word).scale = Some(*value);
            }
        }
        lexicon
    }

    fn sense(&mut self, word: String) -> &mut Senses {
        self.senses.entry(word).or_default()
    }

    /// Adds an entity under its spellings, each given as its normalized words.
    fn add_entity(
        &mut self,
        key: &'static str,
        kind: EntityKind,
        parent: Option<u16>,
        spellings: impl Iterator<Item = Vec<String>>,
    ) {
        let Ok(index) = u16::try_from(self.entities.len()) else {
            return;
        };
        self.entities.push(Entity { key, kind, parent });
        for spelling in spellings {
            let mut parts = spelling.into_iter();
            if let Some(first) = parts.next() {
                let first = strip_definite_article(&first).to_owned();
                let rest = parts
                    .map(|p| strip_definite_article(&p).to_owned())
                    .collect();
                self.sense(first).spellings.push((rest, index));
            }
        }
    }

    /// Everything the lexicon says of a normalized word, in one pass over its forms.
    pub fn read(&self, word: &str) -> Reading<'_> {
        let mut reading = Reading::default();
        for form in std::iter::once(word).chain(bare_forms(word)) {
            let Some(senses) = self.senses.get(form) else {
                continue;
            };
            if reading.spellings.is_none() && !senses.spellings.is_empty() {
                reading.spellings = Some(&senses.spellings);
            }
            reading.stopword |= senses.stopword;
            reading.magnitude |= senses.magnitude;
            reading.number = reading.number.or(senses.number);
            reading.scale = reading.scale.or(senses.scale);
            reading.weekday = reading.weekday.or(senses.weekday);
        }
        reading
    }

    /// The entity spelled at the start of `words` (normalized words, the first one read as
    /// `first`), with how many words it took. Longer spellings win, so "طيران الإمارات" is the
    /// airline, not the country.
    pub fn entity_at(&self, first: &Reading<'_>, words: &[&str]) -> Option<(u16, usize)> {
        first
            .spellings?
            .iter()
            .filter(|(rest, _)| {
                rest.len() < words.len()
                    && rest
                        .iter()
                        .zip(words.iter().skip(1))
                        .all(|(want, have)| want == have || want == strip_article(have))
            })
            .max_by_key(|(rest, _)| rest.len())
            .map(|(rest, index)| (*index, rest.len() + 1))
    }

    /// The value of a number word (`عشرة`, `الثامنة`, `وأربعين`).
    pub fn number_word(&self, word: &str) -> Option<u32> {
        self.read(word).number
    }
}

/// The word without each proclitic it may carry, longest first (at least two letters left).
fn bare_forms(word: &str) -> impl Iterator<Item = &str> {
    PROCLITICS
        .iter()
        .filter_map(move |p| word.strip_prefix(p).filter(|rest| at_least_two_chars(rest)))
}

fn at_least_two_chars(text: &str) -> bool {
    text.chars().nth(1).is_some()
}

/// A word without its article (ال and the clitics fused with it), for matching spellings.
fn strip_article(word: &str) -> &str {
    ["وال", "بال", "كال", "فال", "لل", "ال"]
        .iter()
        .find_map(|p| word.strip_prefix(p).filter(|r| at_least_two_chars(r)))
        .unwrap_or(word)
}

/// A spelling without its own `ال`. A name in the knowledge base never starts with a
/// conjunction or preposition, so `فال` of فالكون (Falcon) is part of the name: stripping it as
/// a clitic would file every `الكون` (the universe) under Falcon.
fn strip_definite_article(word: &str) -> &str {
    word.strip_prefix("ال")
        .filter(|r| at_least_two_chars(r))
        .unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(text: &str) -> Option<&'static str> {
        let words = words(text);
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        LEXICON
            .entity_at(&LEXICON.read(refs.first()?), &refs)
            .and_then(|(i, _)| LEXICON.entities.get(usize::from(i)))
            .map(|e| e.key)
    }

    #[test]
    fn spellings_with_clitics_and_letter_variants_find_one_entity() {
        assert_eq!(entity("لإنفيديا"), Some("nvidia"));
        assert_eq!(entity("NVIDIA"), Some("nvidia"));
        assert_eq!(entity("وغوغل"), Some("google"));
        assert_eq!(entity("جوجل"), Some("google"));
        assert_eq!(entity("بالإسكندرية"), Some("alexandria"));
        assert_eq!(entity("الإماراتية"), Some("uae"));
    }

    #[test]
    fn a_name_that_starts_like_a_clitic_keeps_it() {
        assert_eq!(entity("فالكون"), Some("falcon"));
        assert_eq!(entity("وفالكون"), Some("falcon"));
        assert_eq!(entity("الكون"), None);
        assert_eq!(entity("كون"), None);
    }

    #[test]
    fn the_longest_spelling_wins() {
        assert_eq!(entity("طيران الإمارات"), Some("emirates_airline"));
        assert_eq!(entity("الإمارات"), Some("uae"));
        assert_eq!(entity("إيه إم دي"), Some("amd"));
        assert_eq!(entity("صندوق الاستثمارات العامة"), Some("pif"));
        assert_eq!(entity("صندوق النقد"), None);
    }

    #[test]
    fn cities_know_their_country() {
        let dubai = LEXICON.entities.iter().find(|e| e.key == "dubai").unwrap();
        let parent = LEXICON.entities[usize::from(dubai.parent.unwrap())].key;
        assert_eq!(parent, "uae");
    }

    #[test]
    fn function_words_with_clitics_are_stopwords() {
        for word in ["في", "وفي", "التي", "وقال", "أعلنت", "اليوم"] {
            assert!(LEXICON.read(&normalize(word)).stopword, "{word}");
        }
        assert!(!LEXICON.read(&normalize("أمطار")).stopword);
    }

    #[test]
    fn number_words_and_scales_have_values() {
        assert_eq!(LEXICON.number_word(&normalize("بعشرة")), Some(10));
        assert_eq!(LEXICON.number_word(&normalize("والأربعين")), Some(40));
        assert_eq!(LEXICON.read(&normalize("آلاف")).scale, Some(1000));
        assert!(LEXICON.read(&normalize("بمليارات")).magnitude);
        assert_eq!(LEXICON.number_word("مراكز"), None);
        assert_eq!(LEXICON.read(&normalize("والخميس")).weekday, Some(4));
    }
}
