//! `mirsad check`: validates the config, the taxonomy and the model and says what it found.

use std::process::ExitCode;

use super::Context;

pub fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let path = ctx.config_path();
    let config = ctx.require_config()?;
    let enabled = config.feeds.iter().filter(|f| f.enabled).count();
    println!("config:    {} (ok)", path.display());
    println!(
        "feeds:     {} ({enabled} enabled, {} disabled)",
        config.feeds.len(),
        config.feeds.len() - enabled
    );
    println!("database:  {}", ctx.database_path()?.display());
    let taxonomy = ctx.taxonomy(Some(&config))?;
    let origin = match &config.taxonomy {
        Some(path) => path.display().to_string(),
        None => "built in".to_owned(),
    };
    println!(
        "taxonomy:  {origin} (ok): {} tags, {} rules, version {}",
        taxonomy.tags().len(),
        taxonomy.rule_count(),
        taxonomy.version()
    );
    let model = ctx.model(Some(&config))?;
    let origin = match &config.model {
        Some(path) => path.display().to_string(),
        None => "built in".to_owned(),
    };
    println!(
        "model:     {origin} (ok): {} features, version {}",
        model.feature_count(),
        model.version()
    );
    let tagger = crate::tagger::Tagger::with_model(taxonomy, Some(model));
    println!(
        "tags made: version {} (what `retag` compares)",
        tagger.version()
    );
    Ok(ExitCode::SUCCESS)
}
