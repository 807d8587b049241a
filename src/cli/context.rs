//! What every command needs: the config (loaded only when there is one), the database and the
//! tagger, resolved by the rules in the README (section Files).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::config::{self, Config, StoriesConfig};
use crate::pipeline::Pipeline;
use crate::store::Store;
use crate::tagger::{Model, Tagger, Taxonomy};

pub struct Context {
    config_flag: Option<PathBuf>,
    db_flag: Option<PathBuf>,
}

impl Context {
    pub fn new(config_flag: Option<PathBuf>, db_flag: Option<PathBuf>) -> Context {
        Context {
            config_flag,
            db_flag,
        }
    }

    /// The config file's path, whether or not it exists.
    pub fn config_path(&self) -> PathBuf {
        config::resolve_config_path(self.config_flag.as_deref())
    }

    /// Loads the config. An explicitly named file must exist; the default one may be absent.
    pub fn config(&self) -> anyhow::Result<Option<Config>> {
        let path = self.config_path();
        if self.config_flag.is_none() && !path.exists() {
            return Ok(None);
        }
        Config::load(&path).map(Some).map_err(anyhow::Error::from)
    }

    /// Loads the config, failing when there is none.
    pub fn require_config(&self) -> anyhow::Result<Config> {
        self.config()?.with_context(|| {
            format!(
                "no config file at {} (pass --config PATH or set MIRSAD_CONFIG)",
                self.config_path().display()
            )
        })
    }

    /// The database path. With `--db` the config is not needed at all.
    pub fn database_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(db) = &self.db_flag {
            return Ok(db.clone());
        }
        let config = self.config()?;
        Ok(config::resolve_database_path(
            None,
            config.as_ref(),
            self.config_flag.is_some(),
        ))
    }

    /// The database path for a command that may create the database. Only the configured or
    /// default path gets its missing directories made: a `--db` in a directory that does not
    /// exist is more likely a typo than a wish for a new, empty store.
    pub fn database_path_to_create(&self) -> anyhow::Result<PathBuf> {
        let path = self.database_path()?;
        if self.db_flag.is_some()
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            anyhow::bail!(
                "--db {}: the directory {} does not exist; check the path, or create the \
                 directory first (mirsad makes directories only for the configured database)",
                path.display(),
                dir.display()
            );
        }
        Ok(path)
    }

    /// Opens (creating and migrating if needed) the database.
    pub fn open_store(&self) -> anyhow::Result<Store> {
        let path = self.database_path_to_create()?;
        Ok(Store::open(&path)?)
    }

    /// Opens a database that must already exist, for commands that write (retag, restory,
    /// export cursors).
    pub fn open_existing_store(&self) -> anyhow::Result<Store> {
        let path = self.require_database()?;
        Ok(Store::open_existing(&path)?)
    }

    /// Opens a database that must already exist, read-only (items, search, feeds, stats …).
    pub fn open_reader(&self) -> anyhow::Result<Store> {
        let path = self.require_database()?;
        Ok(Store::open_read_only(&path)?)
    }

    /// The database read-only when there is one yet (`feeds` and `opml export` work without).
    /// A database this user may not see is an error, never "no database yet".
    pub fn open_reader_if_any(&self) -> anyhow::Result<Option<Store>> {
        match self.existing_database()? {
            Some(path) => Ok(Some(Store::open_read_only(&path)?)),
            None => Ok(None),
        }
    }

    fn require_database(&self) -> anyhow::Result<PathBuf> {
        let path = self.database_path()?;
        self.existing_database()?.with_context(|| {
            format!(
                "no database at {} yet: run `mirsad ingest FILE` or `mirsad run --once` first, or pass --db",
                path.display()
            )
        })
    }

    /// The database path when the file exists; permission denied on it (or on its directory)
    /// is an error that says so.
    fn existing_database(&self) -> anyhow::Result<Option<PathBuf>> {
        let path = self.database_path()?;
        match std::fs::metadata(&path) {
            Ok(_) => Ok(Some(path)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(crate::store::StoreError::PermissionDenied { path }.into())
            }
            Err(err) => Err(anyhow::Error::new(err)
                .context(format!("cannot look at the database {}", path.display()))),
        }
    }

    /// The taxonomy: the config's `taxonomy` file, else the one built into the binary.
    pub fn taxonomy(&self, config: Option<&Config>) -> anyhow::Result<Taxonomy> {
        match config.and_then(|c| c.taxonomy.as_deref()) {
            Some(path) => Ok(Taxonomy::load(&resolve_relative(path, config))?),
            None => Ok(Taxonomy::builtin()),
        }
    }

    /// The model: the config's `model` file, else the one built into the binary.
    pub fn model(&self, config: Option<&Config>) -> anyhow::Result<Model> {
        match config.and_then(|c| c.model.as_deref()) {
            Some(path) => Ok(Model::load(&resolve_relative(path, config))?),
            None => Ok(Model::builtin()),
        }
    }

    /// The config when there is one (explicitly named, or the default file if it exists).
    pub fn optional_config(&self) -> anyhow::Result<Option<Config>> {
        if self.config_flag.is_some() || self.config_path().exists() {
            self.config()
        } else {
            Ok(None)
        }
    }

    /// The tagger built from [`Context::taxonomy`] and [`Context::model`].
    pub fn tagger(&self) -> anyhow::Result<Tagger> {
        let config = self.optional_config()?;
        self.tagger_for(config.as_ref())
    }

    /// The tagger a loaded config describes.
    pub fn tagger_for(&self, config: Option<&Config>) -> anyhow::Result<Tagger> {
        Ok(Tagger::with_model(
            self.taxonomy(config)?,
            Some(self.model(config)?),
        ))
    }

    /// The `[stories]` settings of the config, or the defaults when there is no config.
    pub fn stories(&self) -> anyhow::Result<StoriesConfig> {
        Ok(self.config()?.map(|c| c.stories).unwrap_or_default())
    }

    /// The ingest pipeline as the config sets it up: taxonomy and stories.
    pub fn pipeline(&self) -> anyhow::Result<Pipeline> {
        Ok(Pipeline::new(self.tagger()?).with_stories(&self.stories()?))
    }
}

/// A path from the config, relative to the config file's directory.
fn resolve_relative(path: &Path, config: Option<&Config>) -> PathBuf {
    match config.and_then(|c| c.source.parent()) {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}
