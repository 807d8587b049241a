//! `mirsad train`: fits the tagger's model on a labelled corpus (see crate::tagger::train),
//! reports cross-validated figures before and after, and writes the model file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use super::Context;
use super::output::{Out, item_progress};
use crate::export::write_atomic;
use crate::tagger::train::{self, Evaluation, TrainOptions, TrainReport};
use crate::tagger::{
    BUILTIN_CORPUS, BUILTIN_CORPUS_NAME, LabelledItem, UMBRELLA, load_corpus, parse_corpus,
};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled corpus, JSON Lines {"id","title","summary","labels","outlet",…}; default: the
    /// tune corpus built into the binary.
    #[arg(long, value_name = "PATH")]
    pub corpus: Option<PathBuf>,
    /// Where to write the model; default: model.tsv in the config's directory.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Folds of cross-validation (items of one outlet always share a fold).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub folds: usize,
    /// One L2 penalty for every tag instead of each tag's own (chosen by cross-validation on
    /// the tune corpus): larger keeps weights smaller. Compare values by the cross-validated
    /// figures, never by a validation set.
    #[arg(long, value_name = "LAMBDA")]
    pub l2: Option<f64>,
    /// Also learn from the analyst's judgements in the store (`mirsad label`): each judged
    /// item, with its tags as judged, joins the corpus.
    #[arg(long)]
    pub with_judgements: bool,
}

pub fn run(ctx: &Context, args: &TrainArgs, out: &mut Out) -> anyhow::Result<ExitCode> {
    let config = ctx.optional_config()?;
    let (corpus, corpus_name) = match &args.corpus {
        Some(path) => (load_corpus(path)?, path.display().to_string()),
        None => (
            parse_corpus(BUILTIN_CORPUS, BUILTIN_CORPUS_NAME)?,
            BUILTIN_CORPUS_NAME.to_owned(),
        ),
    };
    let model_path = match &args.out {
        Some(path) => path.clone(),
        None => default_out(&ctx.config_path()),
    };
    let judgements = if args.with_judgements {
        judged_items(ctx)?
    } else {
        Vec::new()
    };
    let current = ctx.tagger_for(config.as_ref())?;
    if let Some(l2) = args.l2
        && !(l2.is_finite() && l2 > 0.0)
    {
        anyhow::bail!("--l2 must be a positive number, not {l2}");
    }
    let options = TrainOptions {
        folds: args.folds,
        l2: args.l2,
        corpus_name: corpus_name.clone(),
    };
    let report = train_with_progress(ctx, config.as_ref(), &corpus, &judgements, &options)?;
    let all: Vec<LabelledItem> = corpus.iter().chain(&judgements).cloned().collect();
    let before = train::evaluate(&current, &all);
    let source = if judgements.is_empty() {
        corpus_name
    } else {
        format!("{corpus_name} and {} judgements", judgements.len())
    };
    print_report(
        out,
        &source,
        &all,
        &before,
        &report,
        current.model().map(|m| m.origin()),
    )?;
    write_atomic(&model_path, None, |w| {
        w.write_all(report.text.as_bytes())?;
        Ok(())
    })
    .with_context(|| format!("cannot write the model to {}", model_path.display()))?;
    writeln!(
        out,
        "\nwrote {} ({} weights, model version {})",
        model_path.display(),
        report.weights,
        report.model.version()
    )?;
    writeln!(
        out,
        "to use it: put `model = \"{}\"` at the top of {}, then run `mirsad retag`",
        model_path.display(),
        ctx.config_path().display()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Trains with a progress bar on a terminal. `extra` are labelled items beside the corpus (an
/// analyst's judgements).
pub fn train_with_progress(
    ctx: &Context,
    config: Option<&crate::config::Config>,
    corpus: &[LabelledItem],
    extra: &[LabelledItem],
    options: &TrainOptions,
) -> anyhow::Result<TrainReport> {
    let taxonomy = ctx.taxonomy(config)?;
    let bar = item_progress(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} fits  {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = train::train(&taxonomy, corpus, extra, options, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    Ok(report)
}

/// The store's judged items as labelled items: the tags as the analyst left them. A judged item
/// is its own group in cross-validation unless its URL names an outlet.
fn judged_items(ctx: &Context) -> anyhow::Result<Vec<LabelledItem>> {
    let store = ctx.open_existing_store()?;
    let judged = store.judged_items()?;
    Ok(judged
        .into_iter()
        .map(|j| {
            let mut labels = j.labels;
            let any_subtopic = labels.iter().any(|l| l != UMBRELLA);
            labels.retain(|l| l != UMBRELLA);
            if any_subtopic {
                labels.insert(0, UMBRELLA.to_owned());
            }
            LabelledItem {
                id: format!("judgement-{}", j.item_id),
                title: j.title,
                summary: j.summary,
                labels,
                url: j.url,
                outlet: None,
                provenance: Some("judgement".to_owned()),
                kind: Some("judgement".to_owned()),
                why: None,
            }
        })
        .collect())
}

/// `model.tsv` in the config's directory (the working directory when the config has none).
fn default_out(config_path: &Path) -> PathBuf {
    match config_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("model.tsv"),
        _ => PathBuf::from("model.tsv"),
    }
}

fn print_report(
    out: &mut Out,
    corpus_name: &str,
    corpus: &[LabelledItem],
    before: &Evaluation,
    report: &TrainReport,
    current: Option<&str>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "corpus: {corpus_name}: {} items from {} outlets; {}-fold cross-validation grouped by outlet",
        corpus.len(),
        report.outlets,
        report.folds
    )?;
    writeln!(
        out,
        "\nbefore: the current tagger (model {}) on the corpus (in-sample if it was trained on it)",
        current.unwrap_or("none")
    )?;
    write!(out, "{}", before.table())?;
    writeln!(
        out,
        "\nafter: the new model, cross-validated (each item predicted by a model that never saw its outlet)"
    )?;
    write!(out, "{}", report.cross_validated.table())?;
    let thresholds: Vec<String> = crate::tagger::MODEL_TAGS
        .iter()
        .zip(report.thresholds)
        .map(|(tag, t)| format!("{tag} {t:.2}"))
        .collect();
    writeln!(out, "thresholds: {}", thresholds.join(", "))?;
    writeln!(
        out,
        "training: {:.2} s ({} features)",
        report.seconds, report.features
    )
}
