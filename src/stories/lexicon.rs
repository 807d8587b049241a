//! Word lists the story features need: function words to ignore, the spellings Arabic outlets
//! use for the same company or place, and number words.
//!
//! Entries are written as outlets write them and normalized once at start-up
//! (crate::arabic::normalize), so hamza, alef and teh-marbuta variants need not be listed. Letter
//! variants the normalizer keeps apart (جوجل/غوغل, بوينغ/بوينج) are listed, as are Latin forms.
//! The lists are general knowledge of Arabic news writing, not fitted to any labelled item.

use std::collections::HashMap;
use std::sync::LazyLock;

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

/// Companies, products and bodies under their Arabic and Latin spellings. The first name is the
/// key; each spelling is one or more words.
const ENTITIES: &[(&str, &[&str])] = &[
    (
        "nvidia",
        &["إنفيديا", "نفيديا", "نيفيديا", "إنفيديّا", "nvidia"],
    ),
    ("openai", &["أوبن", "openai"]),
    ("microsoft", &["مايكروسوفت", "ميكروسوفت", "microsoft"]),
    (
        "google",
        &["جوجل", "غوغل", "قوقل", "google", "ألفابت", "alphabet"],
    ),
    ("amazon", &["أمازون", "amazon", "aws"]),
    ("oracle", &["أوراكل", "oracle", "oci"]),
    ("amd", &["amd", "إيه إم دي", "أي إم دي"]),
    ("intel", &["إنتل", "intel"]),
    ("meta", &["ميتا", "meta"]),
    ("apple", &["آبل", "أبل", "apple"]),
    ("samsung", &["سامسونج", "سامسونغ", "samsung"]),
    ("skhynix", &["هاينكس", "هاينيكس", "hynix"]),
    ("tsmc", &["tsmc", "تي إس إم سي"]),
    ("broadcom", &["برودكوم", "broadcom"]),
    ("cisco", &["سيسكو", "cisco"]),
    ("qualcomm", &["كوالكوم", "qualcomm"]),
    ("ibm", &["ibm", "آي بي إم"]),
    ("huawei", &["هواوي", "huawei"]),
    ("alibaba", &["علي بابا", "alibaba"]),
    ("xai", &["xai", "إكس إيه آي"]),
    ("anthropic", &["أنثروبيك", "anthropic"]),
    ("softbank", &["سوفت بنك", "سوفتبنك", "softbank"]),
    ("dell", &["dell"]),
    ("micron", &["مايكرون", "micron"]),
    ("asml", &["asml"]),
    ("humain", &["هيوماين", "humain"]),
    ("g42", &["g42", "جي 42"]),
    ("mgx", &["mgx"]),
    ("stc", &["stc", "إس تي سي"]),
    ("etisalat", &["إي آند", "اتصالات الإمارات"]),
    ("ooredoo", &["أوريدو", "ooredoo"]),
    ("khazna", &["خزنة", "khazna"]),
    ("aramco", &["أرامكو", "aramco"]),
    ("sabic", &["سابك", "sabic"]),
    ("adnoc", &["أدنوك", "adnoc"]),
    ("acwa", &["أكوا", "acwa"]),
    ("datavolt", &["داتافولت", "datavolt"]),
    ("pif", &["صندوق الاستثمارات العامة", "pif"]),
    ("qia", &["جهاز قطر للاستثمار", "qia"]),
    ("mubadala", &["mubadala"]),
    ("brookfield", &["بروكفيلد", "brookfield"]),
    ("blackrock", &["بلاك روك", "بلاكروك", "blackrock"]),
    ("opec", &["أوبك", "opec"]),
    ("boeing", &["بوينغ", "بوينج", "boeing"]),
    ("airbus", &["إيرباص", "airbus"]),
    ("emirates_airline", &["طيران الإمارات", "emirates"]),
    ("flydubai", &["فلاي دبي", "flydubai"]),
    ("etihad_airways", &["الاتحاد للطيران", "etihad"]),
    ("qatar_airways", &["الخطوط الجوية القطرية", "qatar airways"]),
    ("saudia", &["الخطوط السعودية", "saudia"]),
    ("riyadh_air", &["طيران الرياض"]),
    ("stargate", &["ستارغيت", "ستارجيت", "stargate"]),
    ("blackwell", &["بلاكويل", "blackwell"]),
    ("colossus", &["كولوسوس", "كولوسس", "colossus"]),
    ("azure", &["أزور", "azure"]),
    ("chatgpt", &["تشات جي بي تي", "شات جي بي تي", "chatgpt"]),
    ("gemini", &["جيميني", "جيمناي", "gemini"]),
    ("sdaia", &["سدايا", "sdaia"]),
    ("allam", &["علام", "allam"]),
    ("falcon", &["فالكون", "falcon"]),
    ("tesla", &["تسلا", "tesla"]),
    ("spacex", &["سبيس إكس", "spacex"]),
];

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
    /// The country of a city.
    pub parent: Option<u16>,
}

/// The lexicon, normalized and indexed for lookup.
pub struct Lexicon {
    stopwords: std::collections::HashSet<String>,
    /// Spellings by their first word: (remaining words, entity index).
    spellings: HashMap<String, Vec<(Vec<String>, u16)>>,
    pub entities: Vec<Entity>,
    numbers: HashMap<String, u32>,
    scales: HashMap<String, u64>,
    magnitudes: std::collections::HashSet<String>,
    weekdays: HashMap<String, u8>,
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
            stopwords: words(STOPWORDS).into_iter().collect(),
            spellings: HashMap::new(),
            entities: Vec::new(),
            numbers: HashMap::new(),
            scales: HashMap::new(),
            magnitudes: words(MAGNITUDES).into_iter().collect(),
            weekdays: WEEKDAYS
                .iter()
                .zip(0u8..)
                .flat_map(|(day, n)| words(day).into_iter().map(move |w| (w, n)))
                .collect(),
        };
        for (key, spellings) in ENTITIES {
            lexicon.add_entity(key, EntityKind::Organization, None, spellings);
        }
        for (key, parent, spellings) in PLACES {
            let parent = lexicon.entities.iter().position(|e| e.key == *parent);
            let parent = parent.and_then(|p| u16::try_from(p).ok());
            lexicon.add_entity(key, EntityKind::Place, parent, spellings);
        }
        for (value, forms) in NUMBER_WORDS {
            for form in *forms {
                lexicon
                    .numbers
                    .extend(words(form).into_iter().map(|w| (w, *value)));
            }
        }
        for (value, forms) in SCALES {
            for form in *forms {
                lexicon
                    .scales
                    .extend(words(form).into_iter().map(|w| (w, *value)));
            }
        }
        lexicon
    }

    fn add_entity(
        &mut self,
        key: &'static str,
        kind: EntityKind,
        parent: Option<u16>,
        spellings: &[&str],
    ) {
        let Ok(index) = u16::try_from(self.entities.len()) else {
            return;
        };
        self.entities.push(Entity { key, kind, parent });
        for spelling in spellings {
            let mut parts = words(spelling).into_iter();
            if let Some(first) = parts.next() {
                let first = strip_article(&first).to_owned();
                let rest = parts.map(|p| strip_article(&p).to_owned()).collect();
                self.spellings.entry(first).or_default().push((rest, index));
            }
        }
    }

    /// True for a normalized word that carries no event information.
    pub fn is_stopword(&self, word: &str) -> bool {
        self.stopwords.contains(word) || self.bare_forms(word).any(|w| self.stopwords.contains(w))
    }

    /// The entity spelled at the start of `words` (normalized words), with how many words it took.
    /// Longer spellings win, so "طيران الإمارات" is the airline, not the country.
    pub fn entity_at(&self, words: &[&str]) -> Option<(u16, usize)> {
        let first = words.first()?;
        let candidates = std::iter::once(*first)
            .chain(self.bare_forms(first))
            .find_map(|w| self.spellings.get(w))?;
        candidates
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
        std::iter::once(word)
            .chain(self.bare_forms(word))
            .find_map(|w| self.numbers.get(w).copied())
    }

    /// The multiplier a scale word stands for (`ألف` → 1000).
    pub fn scale(&self, word: &str) -> Option<u64> {
        std::iter::once(word)
            .chain(self.bare_forms(word))
            .find_map(|w| self.scales.get(w).copied())
    }

    /// The day of the week a word names (0 = Sunday), with or without a proclitic.
    pub fn weekday(&self, word: &str) -> Option<u8> {
        std::iter::once(word)
            .chain(self.bare_forms(word))
            .find_map(|w| self.weekdays.get(w).copied())
    }

    /// True for a word of magnitude (مليار, آلاف), with or without a proclitic.
    pub fn is_magnitude(&self, word: &str) -> bool {
        std::iter::once(word)
            .chain(self.bare_forms(word))
            .any(|w| self.magnitudes.contains(w))
    }

    /// The word without each proclitic it may carry, longest first (at least two letters left).
    fn bare_forms<'w>(&self, word: &'w str) -> impl Iterator<Item = &'w str> {
        PROCLITICS.iter().filter_map(move |p| {
            word.strip_prefix(p)
                .filter(|rest| rest.chars().count() >= 2)
        })
    }
}

/// A word without its article (ال and the clitics fused with it), for matching spellings.
fn strip_article(word: &str) -> &str {
    ["وال", "بال", "كال", "فال", "لل", "ال"]
        .iter()
        .find_map(|p| word.strip_prefix(p).filter(|r| r.chars().count() >= 2))
        .unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(text: &str) -> Option<&'static str> {
        let words = words(text);
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        LEXICON
            .entity_at(&refs)
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
            assert!(LEXICON.is_stopword(&normalize(word)), "{word}");
        }
        assert!(!LEXICON.is_stopword(&normalize("أمطار")));
    }

    #[test]
    fn number_words_and_scales_have_values() {
        assert_eq!(LEXICON.number_word(&normalize("بعشرة")), Some(10));
        assert_eq!(LEXICON.number_word(&normalize("والأربعين")), Some(40));
        assert_eq!(LEXICON.scale(&normalize("آلاف")), Some(1000));
        assert_eq!(LEXICON.number_word("مراكز"), None);
        assert_eq!(LEXICON.weekday(&normalize("والخميس")), Some(4));
    }
}
