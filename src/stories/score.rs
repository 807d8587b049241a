//! Scoring a new item against the window.
//!
//! Candidates come from the inverted index, rarest terms first, under a fixed budget of
//! postings, so an item costs the same with ten thousand items in the window as with two hundred
//! thousand. The few best candidates are then scored exactly: the cosine of the two items'
//! terms weighted by boost × rarity, discounted for distance in time, for sharing nothing but
//! names, and for each kind of fact on which the two contradict each other.

use super::features::{Facts, Features, Term};
use super::index::{FastMap, Indexed, WindowIndex};

/// Postings read per item at most; the rarest terms are read first, and they decide.
const POSTING_BUDGET: usize = 1500;
/// Candidates scored exactly, chosen by their partial score from the postings read.
const SHORTLIST: usize = 12;
/// Documents every window is assumed to hold besides its own, so a nearly empty window does not
/// make every word look rare.
const PRIOR_DOCUMENTS: f64 = 100.0;
/// Reports of one event mostly appear within hours; past this, similarity is discounted
/// linearly down to `EDGE_FACTOR` at the window's edge, so rain in one city two days apart
/// needs far more in common than two reports of the same morning's rain.
const SAME_EVENT_HOURS: f64 = 12.0;
const EDGE_FACTOR: f64 = 0.2;
/// Two items whose words and figures (names aside) agree less than this, in cosine, are
/// discounted in proportion: the same company's unrelated announcements share only its name.
const CONTENT_FLOOR: f64 = 0.05;
/// Similarity is multiplied by this for each kind of fact on which two items contradict each
/// other: companies, places, headline figures, days of the week.
const CONFLICT_FACTOR: f64 = 0.5;

/// The best earlier item for a new one.
#[derive(Debug, Clone, Copy)]
pub struct Match {
    pub story_id: i64,
    pub item_id: i64,
    pub score: f64,
}

/// Squared weights of an item's terms (or of the terms two items share), names apart from the
/// rest.
#[derive(Debug, Clone, Copy, Default)]
struct Mass {
    entity: f64,
    content: f64,
}

impl Mass {
    fn add(&mut self, entity: bool, weight: f64) {
        if entity {
            self.entity += weight;
        } else {
            self.content += weight;
        }
    }

    fn total(self) -> f64 {
        self.entity + self.content
    }
}

pub struct Scorer<'i> {
    index: &'i WindowIndex,
    /// Seconds.
    window: i64,
    /// Documents the rarity of a term is measured against.
    documents: f64,
}

/// A term of the new item that some item in the window also has.
#[derive(Debug, Clone, Copy)]
struct Known<'t> {
    term: &'t Term,
    slot: u32,
    frequency: usize,
    idf: f64,
}

impl<'i> Scorer<'i> {
    pub fn new(index: &'i WindowIndex, window: i64) -> Scorer<'i> {
        Scorer {
            index,
            window,
            documents: index.len() as f64 + PRIOR_DOCUMENTS,
        }
    }

    /// The best earlier item within the window, if any shares a term.
    pub fn best(&self, features: &Features, at: i64) -> Option<Match> {
        let mut mass = Mass::default();
        let mut known = Vec::with_capacity(features.terms.len());
        for term in &features.terms {
            let slot = self.index.slot(term.key);
            let frequency = slot.map_or(0, |s| self.index.slot_frequency(s));
            let idf = self.idf(frequency);
            mass.add(term.entity, (f64::from(term.boost) * idf).powi(2));
            if let Some(slot) = slot {
                known.push(Known {
                    term,
                    slot,
                    frequency,
                    idf,
                });
            }
        }
        let shortlist = self.shortlist(&mut known, at);
        // Sorted by slot, as every indexed item's terms are, to meet them in one pass.
        known.sort_unstable_by_key(|k| k.slot);
        shortlist
            .into_iter()
            .filter_map(|seq| {
                let entry = self.index.get(seq)?;
                let score = self.similarity(features, &known, mass, entry, at);
                Some((
                    seq,
                    Match {
                        story_id: entry.story_id,
                        item_id: entry.item_id,
                        score,
                    },
                ))
            })
            // Highest score; on a tie the earlier item, so results depend neither on hash order
            // nor on how stories happen to be numbered.
            .max_by(|(a_seq, a), (b_seq, b)| a.score.total_cmp(&b.score).then(b_seq.cmp(a_seq)))
            .map(|(_, m)| m)
    }

    /// Rarity of a term that `frequency` items of the window have.
    fn idf(&self, frequency: usize) -> f64 {
        (self.documents / (frequency as f64 + 1.0)).ln().max(0.0)
    }

    /// The items worth scoring: those sharing the rarest terms, within the window in time.
    fn shortlist(&self, known: &mut [Known<'_>], at: i64) -> Vec<u64> {
        known.sort_unstable_by_key(|k| (k.frequency, k.term.key));
        let mut partial: FastMap<f64> =
            FastMap::with_capacity_and_hasher(POSTING_BUDGET, Default::default());
        let mut budget = POSTING_BUDGET;
        'terms: for k in known.iter() {
            let weight = f64::from(k.term.boost) * k.idf;
            for (seq, seen_at) in self.index.postings_newest_first(k.slot) {
                if budget == 0 {
                    break 'terms;
                }
                budget -= 1;
                if (seen_at - at).abs() <= self.window {
                    *partial.entry(seq).or_default() += weight;
                }
            }
        }
        let mut ranked: Vec<(u64, f64)> = partial.into_iter().collect();
        // Best first; the sequence number breaks ties, so the order is total and the shortlist
        // never depends on hash order. Only the shortlist needs sorting.
        let order = |a: &(u64, f64), b: &(u64, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > SHORTLIST {
            ranked.select_nth_unstable_by(SHORTLIST, order);
            ranked.truncate(SHORTLIST);
        }
        ranked.sort_by(order);
        ranked.into_iter().map(|(seq, _)| seq).collect()
    }

    /// An indexed item's own mass, and what it shares with the new item's known terms (sorted
    /// by slot): Σ boost_a · boost_b · idf² over the shared terms.
    fn masses(&self, known: &[Known<'_>], old: &Indexed) -> (Mass, Mass) {
        let (mut own, mut shared) = (Mass::default(), Mass::default());
        let mut new = known.iter().peekable();
        for term in &old.terms {
            let idf = self.idf(self.index.slot_frequency(term.slot));
            own.add(term.entity, (f64::from(term.boost) * idf).powi(2));
            while new.next_if(|k| k.slot < term.slot).is_some() {}
            if let Some(k) = new.next_if(|k| k.slot == term.slot) {
                let weight = f64::from(k.term.boost) * f64::from(term.boost) * k.idf * k.idf;
                shared.add(k.term.entity, weight);
            }
        }
        (own, shared)
    }

    fn similarity(
        &self,
        new: &Features,
        known: &[Known<'_>],
        new_mass: Mass,
        old: &Indexed,
        at: i64,
    ) -> f64 {
        let (old_mass, shared) = self.masses(known, old);
        let norm = (new_mass.total() * old_mass.total()).sqrt();
        if norm <= 0.0 {
            return 0.0;
        }
        let content_norm = (new_mass.content * old_mass.content).sqrt();
        let content = if content_norm > 0.0 {
            (shared.content / content_norm / CONTENT_FLOOR).min(1.0)
        } else {
            0.0
        };
        let hours = (old.at - at).abs() as f64 / 3600.0;
        let conflicts = contradictions(&new.facts, &old.facts);
        shared.total() / norm * content * self.time_factor(hours) * CONFLICT_FACTOR.powi(conflicts)
    }

    fn time_factor(&self, hours: f64) -> f64 {
        let window_hours = (self.window as f64 / 3600.0).max(SAME_EVENT_HOURS + 1.0);
        if hours <= SAME_EVENT_HOURS {
            1.0
        } else {
            let past = (hours - SAME_EVENT_HOURS) / (window_hours - SAME_EVENT_HOURS);
            (1.0 - (1.0 - EDGE_FACTOR) * past).max(0.0)
        }
    }
}

/// How many kinds of fact two items contradict each other on.
fn contradictions(a: &Facts, b: &Facts) -> i32 {
    let kinds = [
        names_disagree(&a.title_orgs, &a.orgs, &b.title_orgs, &b.orgs),
        names_disagree(&a.title_places, &a.places, &b.title_places, &b.places),
        figures_disagree(a, b),
        a.weekdays != 0 && b.weekdays != 0 && a.weekdays & b.weekdays == 0,
    ];
    kinds.into_iter().map(i32::from).sum()
}

/// Two items contradict each other on a kind of name when each names one in its title that the
/// other never mentions: Humain with Nvidia against Humain with AMD, rain in Alexandria against
/// rain in Kuwait. `all` holds the countries of the cities named, so a city in one item and its
/// country in the other agree.
fn names_disagree(a_title: &[u16], a_all: &[u16], b_title: &[u16], b_all: &[u16]) -> bool {
    let unmatched = |title: &[u16], other: &[u16]| title.iter().any(|e| !other.contains(e));
    unmatched(a_title, b_all) && unmatched(b_title, a_all)
}

/// Two headlines that both state figures but share none of them report different facts
/// (GPT-5.5 against Gemini 3.5; a 2-0 win against a 1-1 draw).
fn figures_disagree(a: &Facts, b: &Facts) -> bool {
    let none_in =
        |title: &[u64], other: &[u64]| title.iter().all(|f| other.binary_search(f).is_err());
    !a.title_figures.is_empty()
        && !b.title_figures.is_empty()
        && none_in(&a.title_figures, &b.figures)
        && none_in(&b.title_figures, &a.figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stories::index::Entry;

    fn conflicts(a: &str, b: &str) -> i32 {
        contradictions(&Features::of(a, "").facts, &Features::of(b, "").facts)
    }

    #[test]
    fn the_same_weather_in_two_cities_contradicts_but_a_city_and_its_country_agree() {
        assert_eq!(
            conflicts(
                "أمطار غزيرة تغرق شوارع الإسكندرية",
                "أمطار غزيرة تغرق شوارع في الكويت"
            ),
            1
        );
        assert_eq!(
            conflicts("أمطار غزيرة في أبوظبي", "أمطار غزيرة في الإمارات"),
            0
        );
        assert_eq!(conflicts("أمطار في دبي", "أمطار في أبوظبي"), 1);
    }

    #[test]
    fn a_partner_named_by_only_one_side_contradicts_only_when_both_sides_do() {
        assert_eq!(
            conflicts(
                "هيوماين توقع اتفاقية مع إنفيديا",
                "هيوماين وAMD تطلقان شراكة"
            ),
            1
        );
        assert_eq!(
            conflicts("هيوماين توقع اتفاقية مع إنفيديا", "هيوماين توقع اتفاقية"),
            0
        );
    }

    #[test]
    fn headline_figures_with_nothing_in_common_contradict() {
        assert_eq!(conflicts("برنت عند 68 دولارا", "برنت عند 64 دولارا"), 1);
        assert_eq!(
            conflicts("برنت عند 68 دولارا", "برنت يرتفع إلى 68.40 دولار"),
            0
        );
        assert_eq!(conflicts("برنت عند 68 دولارا", "أسعار النفط ترتفع"), 0);
    }

    #[test]
    fn different_days_of_the_week_contradict() {
        assert_eq!(
            conflicts("النفط يرتفع اليوم الاثنين", "النفط يتراجع الثلاثاء"),
            1
        );
        assert_eq!(conflicts("خفض الفائدة الخميس", "قرار مساء الخميس"), 0);
    }

    #[test]
    fn time_counts_fully_for_half_a_day_then_fades_to_the_edge_factor() {
        let index = WindowIndex::default();
        let scorer = Scorer::new(&index, 72 * 3600);
        assert_eq!(scorer.time_factor(3.0), 1.0);
        assert_eq!(scorer.time_factor(SAME_EVENT_HOURS), 1.0);
        assert!((scorer.time_factor(72.0) - EDGE_FACTOR).abs() < 1e-9);
        assert!(scorer.time_factor(42.0) < 1.0 && scorer.time_factor(42.0) > EDGE_FACTOR);
    }

    fn entry(item_id: i64, keys: &[u64]) -> Entry {
        crate::stories::index::test_entry(item_id, 0, keys)
    }

    #[test]
    fn rare_terms_are_read_first_so_a_match_is_found_among_thousands_sharing_a_common_one() {
        let mut index = WindowIndex::default();
        index.insert(entry(1, &[1, 2, 3]));
        for id in 2..(POSTING_BUDGET as i64 + 100) {
            index.insert(entry(id, &[1, 1000 + id as u64]));
        }
        let new = entry(0, &[1, 2, 3]).features;
        let best = Scorer::new(&index, 3600).best(&new, 0).unwrap();
        assert_eq!(best.item_id, 1);
        assert!(best.score > 0.9, "{best:?}");
    }

    #[test]
    fn items_sharing_only_names_score_nothing() {
        let a = Features::of("أرامكو تجمع 5 مليارات دولار من بيع سندات", "");
        let b = Features::of("أرامكو توقع اتفاقية لشراء الغاز المسال", "");
        let mut index = WindowIndex::default();
        index.insert(Entry {
            item_id: 1,
            story_id: 1,
            at: 0,
            tie: 0,
            features: b,
        });
        let best = Scorer::new(&index, 3600).best(&a, 0);
        assert!(best.is_none_or(|m| m.score == 0.0), "{best:?}");
    }
}
