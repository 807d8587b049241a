//! Stories: one event reported by many outlets becomes one story.
//!
//! Every new item is compared with the earlier items of the last `window` (72 h by default) and
//! joins the story of the most similar one when the similarity reaches the threshold, or starts
//! a story of its own. An item is in exactly one story.
//!
//! # Method: weighted term overlap, with rarity from an inverted index
//!
//! MinHash with LSH banding and SimHash were considered and set aside. Both estimate the overlap
//! of *unweighted* shingles, and two outlets retelling one event share few word shingles at all
//! (each writes its own sentence), so bands rarely collide and recall suffers; and both treat
//! `إنفيديا` and `أعلنت` alike, while what tells two reports of one event from two similar events
//! is a handful of heavy terms (a company, a city, a figure) among many light ones. A weighted
//! overlap can say that sharing `51.2` and `إنفيديا` outweighs not sharing twenty common words.
//! The inverted index gives the property LSH would: no scan. Candidates are the items sharing
//! the new item's rarest terms, read under a fixed budget of postings, so the cost of an item
//! stays flat as the window fills (see `benches/stories.rs`).
//!
//! An item's terms (`features.rs`) come from its title (weighted ×1.5) and the lead of its
//! summary: normalized, lightly stemmed words without function words; figures read whole in any
//! digits (`51.2`, `٥١٫٢`, `18,000`, `18 ألف`, `بعشرة`); companies and places under every
//! spelling Arabic outlets use (`إنفيديا`, `Nvidia`; `جوجل`, `غوغل`). Entities and figures weigh
//! about 2.5 times a word, and every term is weighted by its rarity in the window.
//!
//! The score of a pair (`score.rs`) is the cosine of their weighted terms, then:
//! - discounted for distance in time: in full for 12 hours, fading to a fifth at the window's
//!   edge, because reports of one event come within hours while the same city's rain two days
//!   later is another story;
//! - discounted when the two share little beyond names (the same company's other announcement);
//! - halved for each kind of fact on which they contradict each other: each names in its title a
//!   company, or a place, that the other never mentions (Humain with Nvidia against Humain with
//!   AMD; rain in Alexandria against rain in Kuwait); their headlines state figures with none in
//!   common (GPT-5.5 against Gemini 3.5; a 2-0 win against a 1-1 draw); they name different days
//!   of the week (oil up on Monday, down on Tuesday).
//!
//! The threshold is that score, between 0 and 1: 0.32 by default. On the labelled dev set
//! (`tests/stories_quality.rs`) it gives pairwise precision 1.00 and recall 0.99.
//!
//! # Where the clusterer lives
//!
//! The [`Clusterer`] is an in-memory structure with a pure API (`assign` an item, get its
//! story). It is sequential: an item's story depends only on the items before it in
//! [`OrderKey`] order (report time, then a hash of the item's identity), never on when or how
//! it arrived. `mirsad restory` ([`restory()`]) replays every stored item in that order. The
//! pipeline writes new items without a story and settles them after each daemon cycle or
//! `ingest` call ([`Stories::settle`]): the window is rewound to the earliest new item and
//! everything from there on is re-placed, which gives what `restory` would, within the bound
//! stated in `live.rs` (items more than two windows older than the newest are not re-placed
//! around). Story ids survive re-placing when a story only gains or loses members; a story
//! merged away leaves its id as an alias (crate::stories::settle).

mod cluster;
mod features;
mod index;
mod lexicon;
mod live;
mod pieces;
mod places;
mod restory;
mod score;
mod settle;

pub use cluster::{Assignment, Clusterer, DEFAULT_THRESHOLD, OrderKey, StoriesParams, StoryItem};
pub use features::Features;
pub use live::{KEEP_EVICTED, SETTLED_WINDOWS, SettleSummary, Stories};
pub use restory::{RestorySummary, restory};
pub use settle::Written;
