//! STUB (temporary, replaced by the real tagger)
use serde::Serialize;
use std::path::Path;
pub struct Taxonomy;
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct TaxonomyError;
impl Taxonomy {
    pub fn builtin() -> Taxonomy {
        Taxonomy
    }
    pub fn from_toml(_t: &str, _o: &str) -> Result<Taxonomy, TaxonomyError> {
        Ok(Taxonomy)
    }
    pub fn load(_p: &Path) -> Result<Taxonomy, TaxonomyError> {
        Ok(Taxonomy)
    }
    pub fn version(&self) -> &str {
        "stub"
    }
    pub fn tags(&self) -> Vec<&str> {
        vec![]
    }
    pub fn rule_count(&self) -> usize {
        0
    }
}
pub struct Tagger(Taxonomy);
impl Tagger {
    pub fn new(t: Taxonomy) -> Tagger {
        Tagger(t)
    }
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.0
    }
    pub fn tag(&self, _t: &str, _b: &str) -> Tagging {
        Tagging {
            tags: vec![],
            near_misses: vec![],
        }
    }
}
#[derive(Serialize)]
pub struct Tagging {
    pub tags: Vec<TagResult>,
    pub near_misses: Vec<TagResult>,
}
#[derive(Serialize)]
pub struct TagResult {
    pub tag: String,
    pub score: f64,
    pub evidence: Vec<Evidence>,
}
#[derive(Serialize)]
pub struct Evidence {
    pub rule: String,
    pub matched: String,
    pub field: Field,
    pub position: usize,
    pub weight: f64,
}
#[derive(Serialize, Clone, Copy)]
pub enum Field {
    Title,
    Body,
}
impl Field {
    pub fn as_str(&self) -> &'static str {
        "title"
    }
}
