//! `mirsad check`: validates the config, the taxonomy and the model and says what it found.

use std::io::Write;
use std::process::ExitCode;

use super::Context;
use super::output::Out;
use crate::config::ConfigError;

pub fn run(ctx: &Context, out: &mut Out) -> anyhow::Result<ExitCode> {
    let path = ctx.config_path();
    let config = match ctx.require_config() {
        Ok(config) => config,
        Err(err) => {
            // One problem per line, every one of them: `check` is where a person fixes a config.
            if let Some(ConfigError::Invalid { problems }) = err.downcast_ref::<ConfigError>() {
                for problem in problems {
                    eprintln!("{}", super::journal::error_line(problem));
                }
                anyhow::bail!(
                    "{} has {} (listed above)",
                    path.display(),
                    plural(problems.len(), "problem")
                );
            }
            return Err(err);
        }
    };
    let enabled = config.feeds.iter().filter(|f| f.enabled).count();
    writeln!(out, "config:    {} (ok)", path.display())?;
    writeln!(
        out,
        "feeds:     {} ({enabled} enabled, {} disabled)",
        config.feeds.len(),
        config.feeds.len() - enabled
    )?;
    writeln!(out, "database:  {}", ctx.database_path()?.display())?;
    let taxonomy = ctx.taxonomy(Some(&config))?;
    let origin = match &config.taxonomy {
        Some(path) => path.display().to_string(),
        None => "built in".to_owned(),
    };
    writeln!(
        out,
        "taxonomy:  {origin} (ok): {} tags, {} rules, version {}",
        taxonomy.tags().len(),
        taxonomy.rule_count(),
        taxonomy.version()
    )?;
    let model = ctx.model(Some(&config))?;
    let origin = match &config.model {
        Some(path) => path.display().to_string(),
        None => "built in".to_owned(),
    };
    writeln!(
        out,
        "model:     {origin} (ok): {} features, version {}",
        model.feature_count(),
        model.version()
    )?;
    let tagger = crate::tagger::Tagger::with_model(taxonomy, Some(model));
    writeln!(
        out,
        "tags made: version {} (what `retag` compares)",
        tagger.version()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
