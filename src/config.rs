//! The TOML config: feeds to watch, fetch limits, stories and exports.
//!
//! Every value is checked when the file loads, and every problem names the file, the line and
//! what to write instead: an unknown key gets the nearest valid one ("did you mean `interval`?").

mod keys;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// The loaded, validated config.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: Option<PathBuf>,
    pub taxonomy: Option<PathBuf>,
    /// The model file (`mirsad train` writes one); the built-in model when absent.
    pub model: Option<PathBuf>,
    pub fetch: FetchConfig,
    pub feeds: Vec<FeedConfig>,
    pub stories: StoriesConfig,
    pub export: ExportConfig,
    pub exports: Vec<LiveExport>,
    pub http: HttpConfig,
    /// Where the config was loaded from; relative paths in it are relative to its directory.
    pub source: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub url: String,
    pub name: Option<String>,
    pub interval: Option<Duration>,
    pub enabled: bool,
    pub user_agent: Option<String>,
}

/// `[fetch]`: how politely and how far the daemon fetches.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    pub concurrency: usize,
    pub per_host: usize,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body: u64,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub max_backoff: Duration,
    pub user_agent: Option<String>,
    pub allow_private_redirects: bool,
}

impl Default for FetchConfig {
    fn default() -> FetchConfig {
        FetchConfig {
            concurrency: 16,
            per_host: 2,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body: 10 * 1024 * 1024,
            min_interval: Duration::from_secs(10 * 60),
            max_interval: Duration::from_secs(6 * 3600),
            max_backoff: Duration::from_secs(24 * 3600),
            user_agent: None,
            allow_private_redirects: false,
        }
    }
}

/// `[stories]`: grouping reports of one event from many outlets.
#[derive(Debug, Clone, PartialEq)]
pub struct StoriesConfig {
    pub enabled: bool,
    pub window: Duration,
    pub threshold: f64,
}

impl Default for StoriesConfig {
    fn default() -> StoriesConfig {
        StoriesConfig {
            enabled: true,
            window: Duration::from_secs(72 * 3600),
            threshold: crate::stories::DEFAULT_THRESHOLD,
        }
    }
}

/// `[export]`: what exported feeds say about themselves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportConfig {
    pub title: Option<String>,
    pub public_url: Option<String>,
}

/// `[[exports]]`: a file the daemon rewrites after every cycle that changed something.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveExport {
    pub path: PathBuf,
    pub format: String,
    pub tag: Option<String>,
    pub limit: Option<usize>,
    pub title: Option<String>,
}

/// A config larger than this is not one a person wrote (50,000 feeds take about 3 MB).
const MAX_CONFIG_BYTES: u64 = 32 * 1024 * 1024;

/// `[http]`: the web pages, API and metrics the daemon serves.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpConfig {
    /// Where to listen; `None` (an empty `listen`) turns the server off.
    pub listen: Option<std::net::SocketAddr>,
    /// The bearer token (or basic-auth password) every request must carry; required to listen
    /// on anything but loopback.
    pub token: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
            token: None,
        }
    }
}

const EXPORT_FORMATS: [&str; 4] = ["atom", "rss", "jsonl", "csv"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config: {}", .problems.join("; "))]
    Invalid { problems: Vec<String> },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    database: Option<PathBuf>,
    taxonomy: Option<PathBuf>,
    model: Option<PathBuf>,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    feeds: Vec<RawFeed>,
    #[serde(default)]
    stories: RawStories,
    #[serde(default)]
    export: RawExport,
    #[serde(default)]
    exports: Vec<RawLiveExport>,
    #[serde(default)]
    http: RawHttp,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    listen: Option<Spanned<String>>,
    token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    url: Spanned<String>,
    name: Option<String>,
    interval: Option<Spanned<String>>,
    enabled: Option<bool>,
    user_agent: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    concurrency: Option<Spanned<i64>>,
    per_host: Option<Spanned<i64>>,
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<toml::Value>>,
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    max_backoff: Option<Spanned<String>>,
    user_agent: Option<String>,
    allow_private_redirects: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStories {
    enabled: Option<bool>,
    window: Option<Spanned<String>>,
    threshold: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExport {
    title: Option<String>,
    public_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLiveExport {
    path: PathBuf,
    format: Spanned<String>,
    tag: Option<Spanned<String>>,
    limit: Option<Spanned<i64>>,
    title: Option<String>,
}

/// The sane range of every duration and limit. Values outside it are mistakes (or attacks on a
/// config that an import wrote), and far outside it they overflow time arithmetic.
pub mod limits {
    use std::time::Duration;

    const SECOND: Duration = Duration::from_secs(1);
    const MINUTE: Duration = Duration::from_secs(60);

    pub const CONCURRENCY: (usize, usize) = (1, 1024);
    pub const PER_HOST: (usize, usize) = (1, 64);
    pub const TIMEOUT: (Duration, Duration) = (SECOND, Duration::from_secs(3600));
    pub const CONNECT_TIMEOUT: (Duration, Duration) = (SECOND, Duration::from_secs(600));
    pub const MAX_BODY: (u64, u64) = (1024, 1024 * 1024 * 1024);
    /// `min_interval`, `max_interval`, `max_backoff` and a feed's `interval`.
    pub const INTERVAL: (Duration, Duration) = (SECOND, Duration::from_secs(365 * 86_400));
    // Up to a century: re-clustering an archive of old items needs a window that long.
    pub const STORY_WINDOW: (Duration, Duration) = (MINUTE, Duration::from_secs(36_500 * 86_400));
    pub const EXPORT_LIMIT: (usize, usize) = (1, 1_000_000);
    /// More feeds than any reader follows; a config (or an OPML import) with more is refused.
    pub const FEEDS: usize = 50_000;
}

/// Byte offsets where each line starts, so a position costs a binary search instead of a scan
/// of the text (a config with 100,000 feeds reports every problem in linear time).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = text.get(start..offset).map_or(0, |l| l.chars().count()) + 1;
        (line.max(1), column)
    }
}

/// Collects problems with their positions while the raw config is checked.
struct Checker<'a> {
    text: &'a str,
    lines: LineIndex,
    source: &'a Path,
    problems: Vec<String>,
}

impl Checker<'_> {
    fn line_column(&self, offset: usize) -> (usize, usize) {
        self.lines.line_column(self.text, offset)
    }

    fn problem(&mut self, span: std::ops::Range<usize>, message: String) {
        let (line, column) = self.line_column(span.start);
        self.problems.push(format!(
            "{}:{line}:{column}: {message}",
            self.source.display()
        ));
    }

    fn duration(
        &mut self,
        key: &str,
        value: &Option<Spanned<String>>,
        default: Duration,
        (min, max): (Duration, Duration),
    ) -> Duration {
        let Some(value) = value else { return default };
        match humantime::parse_duration(value.get_ref()) {
            Ok(duration) if duration >= min && duration <= max => duration,
            Ok(_) => {
                self.problem(
                    value.span(),
                    format!(
                        "`{key} = \"{}\"` is out of range; it must be between {} and {}",
                        value.get_ref(),
                        short_duration(min),
                        short_duration(max),
                    ),
                );
                default
            }
            Err(_) => {
                self.problem(
                    value.span(),
                    format!(
                        "`{key} = \"{}\"` is not a duration; write it like \"30m\", \"6h\" or \"1d\"",
                        value.get_ref()
                    ),
                );
                default
            }
        }
    }

    fn count(
        &mut self,
        key: &str,
        value: &Option<Spanned<i64>>,
        default: usize,
        (min, max): (usize, usize),
    ) -> usize {
        let Some(value) = value else { return default };
        match usize::try_from(*value.get_ref()) {
            Ok(n) if n >= min && n <= max => n,
            _ => {
                self.problem(
                    value.span(),
                    format!("`{key}` must be a whole number of at least {min} and at most {max}"),
                );
                default
            }
        }
    }

    fn size(&mut self, value: &Option<Spanned<toml::Value>>, default: u64) -> u64 {
        let Some(value) = value else { return default };
        let parsed = match value.get_ref() {
            toml::Value::Integer(n) => u64::try_from(*n).ok(),
            toml::Value::String(s) => parse_size(s),
            _ => None,
        };
        let (min, max) = limits::MAX_BODY;
        match parsed {
            Some(n) if n >= min && n <= max => n,
            Some(_) => {
                self.problem(
                    value.span(),
                    "`max_body` is out of range; it must be between 1KiB and 1GiB".into(),
                );
                default
            }
            None => {
                self.problem(
                    value.span(),
                    "`max_body` must be a size like \"10MiB\", \"512KiB\" or a number of bytes"
                        .into(),
                );
                default
            }
        }
    }
}

/// "365d", "1h", "90s": the largest whole unit, as a person writes a limit.
fn short_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The key two feed URLs are the same feed by: scheme and host case do not matter.
fn feed_key(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.to_string())
}

/// "10MiB", "512 KiB", "2MB", "1048576".
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// 1-based line and column of a byte offset, for the one position of a parse error.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_column(text, offset)
}

/// Turns a TOML/serde error into a problem with its line, and a suggestion for unknown keys.
fn parse_problem(text: &str, source: &Path, err: &toml::de::Error) -> String {
    let message = err.message().trim().to_owned();
    let position = err.span().map(|span| line_column(text, span.start));
    let mut problem = match position {
        Some((line, column)) => {
            let text_of_line = text.lines().nth(line - 1).unwrap_or_default().trim();
            format!(
                "{}:{line}:{column}: {message} (in `{text_of_line}`)",
                source.display()
            )
        }
        None => format!("{}: {message}", source.display()),
    };
    if let Some(suggestion) = suggest_key(&message) {
        problem.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    problem
}

/// From serde's "unknown field `intervl`, expected one of `url`, `interval`", the closest key.
fn suggest_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|key| (strsim::jaro_winkler(unknown, key), key))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, key)| key.to_owned())
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let read_error = |source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        };
        let bytes = crate::files::read_capped(path, MAX_CONFIG_BYTES).map_err(read_error)?;
        let text = String::from_utf8(bytes)
            .map_err(|e| read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        Config::parse(&text, path)
    }

    /// Validates config text; `source` names it in messages and anchors relative paths.
    pub fn parse(text: &str, source: &Path) -> Result<Config, ConfigError> {
        let unknown = keys::unknown_keys(text);
        if !unknown.is_empty() {
            let lines = LineIndex::new(text);
            let problems = unknown
                .iter()
                .map(|key| {
                    let (line, column) = lines.line_column(text, key.offset);
                    format!("{}:{line}:{column}: {}", source.display(), key.message)
                })
                .collect();
            return Err(ConfigError::Invalid { problems });
        }
        let raw: RawConfig = toml::from_str(text).map_err(|err| ConfigError::Invalid {
            problems: vec![parse_problem(text, source, &err)],
        })?;
        let mut check = Checker {
            text,
            lines: LineIndex::new(text),
            source,
            problems: Vec::new(),
        };
        let defaults = FetchConfig::default();
        let fetch = FetchConfig {
            concurrency: check.count(
                "concurrency",
                &raw.fetch.concurrency,
                defaults.concurrency,
                limits::CONCURRENCY,
            ),
            per_host: check.count(
                "per_host",
                &raw.fetch.per_host,
                defaults.per_host,
                limits::PER_HOST,
            ),
            timeout: check.duration(
                "timeout",
                &raw.fetch.timeout,
                defaults.timeout,
                limits::TIMEOUT,
            ),
            connect_timeout: check.duration(
                "connect_timeout",
                &raw.fetch.connect_timeout,
                defaults.connect_timeout,
                limits::CONNECT_TIMEOUT,
            ),
            max_body: check.size(&raw.fetch.max_body, defaults.max_body),
            min_interval: check.duration(
                "min_interval",
                &raw.fetch.min_interval,
                defaults.min_interval,
                limits::INTERVAL,
            ),
            max_interval: check.duration(
                "max_interval",
                &raw.fetch.max_interval,
                defaults.max_interval,
                limits::INTERVAL,
            ),
            max_backoff: check.duration(
                "max_backoff",
                &raw.fetch.max_backoff,
                defaults.max_backoff,
                limits::INTERVAL,
            ),
            user_agent: raw.fetch.user_agent,
            allow_private_redirects: raw.fetch.allow_private_redirects.unwrap_or(false),
        };
        if fetch.min_interval > fetch.max_interval
            && let Some(span) = raw.fetch.min_interval.as_ref().map(Spanned::span)
        {
            check.problem(span, "`min_interval` is longer than `max_interval`".into());
        }
        let feeds = check_feeds(&mut check, raw.feeds);
        let story_defaults = StoriesConfig::default();
        let stories = StoriesConfig {
            enabled: raw.stories.enabled.unwrap_or(true),
            window: check.duration(
                "window",
                &raw.stories.window,
                story_defaults.window,
                limits::STORY_WINDOW,
            ),
            threshold: match &raw.stories.threshold {
                Some(t) if !(*t.get_ref() > 0.0 && *t.get_ref() <= 1.0) => {
                    check.problem(
                        t.span(),
                        format!(
                            "`threshold = {}` is out of range; it is a similarity above 0 and at most 1 (default {})",
                            t.get_ref(),
                            story_defaults.threshold
                        ),
                    );
                    story_defaults.threshold
                }
                Some(t) => *t.get_ref(),
                None => story_defaults.threshold,
            },
        };
        let mut exports = Vec::new();
        for export in raw.exports {
            let format = export.format.get_ref().to_ascii_lowercase();
            if !EXPORT_FORMATS.contains(&format.as_str()) {
                check.problem(
                    export.format.span(),
                    format!("unknown export format `{format}`; use one of atom, rss, jsonl, csv"),
                );
            }
            let limit = export
                .limit
                .as_ref()
                .map(|_| check.count("limit", &export.limit, 1, limits::EXPORT_LIMIT));
            // A misspelt tag would leave the file empty forever; a short name is the full one.
            let tag =
                export
                    .tag
                    .as_ref()
                    .map(|tag| match crate::tagger::parse_tag(tag.get_ref()) {
                        Ok(full) => full.to_owned(),
                        Err(err) => {
                            check.problem(tag.span(), err.to_string());
                            tag.get_ref().clone()
                        }
                    });
            exports.push(LiveExport {
                path: export.path,
                format,
                tag,
                limit,
                title: export.title,
            });
        }
        let http = check_http(&mut check, raw.http);
        if !check.problems.is_empty() {
            return Err(ConfigError::Invalid {
                problems: check.problems,
            });
        }
        Ok(Config {
            database: raw.database,
            taxonomy: raw.taxonomy,
            model: raw.model,
            fetch,
            feeds,
            stories,
            export: ExportConfig {
                title: raw.export.title,
                public_url: raw.export.public_url,
            },
            exports,
            http,
            source: source.to_path_buf(),
        })
    }
}

/// `listen` is an address with a port; an empty one turns the server off. An empty token is
/// no token.
fn check_http(check: &mut Checker<'_>, raw: RawHttp) -> HttpConfig {
    let listen = match &raw.listen {
        None => HttpConfig::default().listen,
        Some(text) if text.get_ref().trim().is_empty() => None,
        Some(text) => match text.get_ref().trim().parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                check.problem(
                    text.span(),
                    format!(
                        "`listen = \"{}\"` is not an address with a port; write it like \"127.0.0.1:8080\" (or \"\" to turn the web server off)",
                        text.get_ref()
                    ),
                );
                None
            }
        },
    };
    HttpConfig {
        listen,
        token: raw.token.filter(|t| !t.trim().is_empty()),
    }
}

fn check_feeds(check: &mut Checker<'_>, raw: Vec<RawFeed>) -> Vec<FeedConfig> {
    if raw.len() > limits::FEEDS {
        check.problems.push(format!(
            "{}: {} feeds is more than mirsad follows (at most {}); split the list",
            check.source.display(),
            raw.len(),
            limits::FEEDS
        ));
        return Vec::new();
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut feeds = Vec::new();
    for feed in raw {
        let url = feed.url.get_ref().trim().to_owned();
        match url::Url::parse(&url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
            _ => check.problem(
                feed.url.span(),
                format!("feed url `{url}` is not an http(s) URL; write it like \"https://example.com/feed\""),
            ),
        }
        let (line, _) = check.line_column(feed.url.span().start);
        if let Some(first) = seen.insert(feed_key(&url), line) {
            check.problem(
                feed.url.span(),
                format!("feed `{url}` is listed twice (first at line {first}); remove one"),
            );
        }
        let interval = feed
            .interval
            .as_ref()
            .map(|_| check.duration("interval", &feed.interval, Duration::ZERO, limits::INTERVAL));
        feeds.push(FeedConfig {
            url,
            name: feed.name,
            interval,
            enabled: feed.enabled.unwrap_or(true),
            user_agent: feed.user_agent,
        });
    }
    feeds
}

/// `--config`, else `$MIRSAD_CONFIG` (clap reads it into the flag), else
/// `/etc/mirsad/mirsad.toml` when it exists, else `config/mirsad.toml`.
pub fn resolve_config_path(cli: Option<&Path>) -> PathBuf {
    if let Some(path) = cli {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os("MIRSAD_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let system = Path::new(SYSTEM_CONFIG);
    if system.exists() {
        return system.to_path_buf();
    }
    PathBuf::from("config/mirsad.toml")
}

/// The system config the unit in systemd/ runs with, and the store its `StateDirectory=mirsad`
/// gives the service.
pub const SYSTEM_CONFIG: &str = "/etc/mirsad/mirsad.toml";
pub const SYSTEM_DATABASE: &str = "/var/lib/mirsad/mirsad.db";

/// The database when nothing names one: relative to the config file when one was named
/// (`--config`, `$MIRSAD_CONFIG`), else to the current directory.
pub const DEFAULT_DATABASE: &str = "data/mirsad.db";

/// `--db`, else the config's `database` (relative to the config file), else
/// `$STATE_DIRECTORY/mirsad.db` under systemd, else the service's store when the system config
/// is in use (so `mirsad feeds` reads what the daemon writes), else [`DEFAULT_DATABASE`]:
/// beside a named config (`named_config`), so `mirsad --config ~/m/mirsad.toml items` reads
/// the same store from any directory; else in the current directory, beside the default
/// `config/` directory.
pub fn resolve_database_path(
    cli: Option<&Path>,
    config: Option<&Config>,
    named_config: bool,
) -> PathBuf {
    if let Some(path) = cli {
        return path.to_path_buf();
    }
    if let Some(config) = config
        && let Some(database) = &config.database
    {
        return match config.source.parent() {
            Some(dir) if database.is_relative() && !dir.as_os_str().is_empty() => {
                dir.join(database)
            }
            _ => database.clone(),
        };
    }
    if let Some(state) = std::env::var_os("STATE_DIRECTORY").filter(|s| !s.is_empty()) {
        // systemd may pass several directories separated by colons; the first is ours.
        let first = state
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        return PathBuf::from(first).join("mirsad.db");
    }
    if config.is_some_and(|c| c.source == Path::new(SYSTEM_CONFIG)) {
        return PathBuf::from(SYSTEM_DATABASE);
    }
    match config.and_then(|c| c.source.parent()) {
        Some(dir) if named_config && !dir.as_os_str().is_empty() => dir.join(DEFAULT_DATABASE),
        _ => PathBuf::from(DEFAULT_DATABASE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    fn problems(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_repository_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/mirsad.toml");
        let config = Config::load(&path).unwrap();
        assert!(config.feeds.len() >= 10);
        assert!(config.feeds.iter().any(|f| f.url.contains("aitnews.com")));
    }

    #[test]
    fn defaults_apply_when_keys_are_absent() {
        let config = parse("[[feeds]]\nurl = \"https://a.com/feed\"\n").unwrap();
        assert_eq!(config.fetch, FetchConfig::default());
        assert_eq!(config.stories, StoriesConfig::default());
        let feed = &config.feeds[0];
        assert!(feed.enabled && feed.interval.is_none());
    }

    #[test]
    fn values_are_read() {
        let config = parse(
            "database = \"x.db\"\n[fetch]\nconcurrency = 4\nmax_body = \"512KiB\"\ntimeout = \"5s\"\n\
             [[feeds]]\nurl = \"https://a.com/feed\"\nname = \"A\"\ninterval = \"30m\"\nenabled = false\n",
        )
        .unwrap();
        assert_eq!(config.fetch.concurrency, 4);
        assert_eq!(config.fetch.max_body, 512 * 1024);
        assert_eq!(config.fetch.timeout, Duration::from_secs(5));
        assert_eq!(config.feeds[0].interval, Some(Duration::from_secs(1800)));
        assert!(!config.feeds[0].enabled);
    }

    #[test]
    fn unknown_key_names_its_line_and_the_nearest_valid_key() {
        let message = problems("[[feeds]]\nurl = \"https://a.com/feed\"\nintervl = \"30m\"\n");
        assert!(message.contains("intervl"), "{message}");
        assert!(message.contains("test.toml:3:"), "{message}");
        assert!(message.contains("did you mean `interval`"), "{message}");
        let top = problems("databse = \"x.db\"\n");
        assert!(top.contains("did you mean `database`"), "{top}");
        let fetch = problems("[fetch]\nconcurency = 3\n");
        assert!(
            fetch.contains("did you mean `concurrency`") && fetch.contains(":2:"),
            "{fetch}"
        );
    }

    #[test]
    fn bad_duration_says_how_to_write_one() {
        let message =
            problems("[[feeds]]\nurl = \"https://a.com/feed\"\ninterval = \"30 minutes please\"\n");
        assert!(
            message.contains("test.toml:3:") && message.contains("\"30m\""),
            "{message}"
        );
    }

    #[test]
    fn missing_url_and_non_http_url_are_errors() {
        assert!(problems("[[feeds]]\nname = \"x\"\n").contains("url"));
        let message = problems("[[feeds]]\nurl = \"ftp://a.com/feed\"\n");
        assert!(
            message.contains("test.toml:2:") && message.contains("http"),
            "{message}"
        );
    }

    #[test]
    fn duplicate_feeds_and_zero_limits_and_inverted_intervals_are_errors() {
        let dup = problems(
            "[[feeds]]\nurl = \"https://a.com/f\"\n[[feeds]]\nurl = \"https://a.com/f\"\n",
        );
        assert!(
            dup.contains("twice") && dup.contains("line 2") && dup.contains(":4:"),
            "{dup}"
        );
        assert!(problems("[fetch]\nconcurrency = 0\n").contains("at least 1"));
        assert!(problems("[fetch]\nper_host = -1\n").contains("at least 1"));
        let inverted = problems("[fetch]\nmin_interval = \"7h\"\nmax_interval = \"1h\"\n");
        assert!(inverted.contains("longer than"), "{inverted}");
    }

    #[test]
    fn stories_threshold_and_window_are_checked() {
        for bad in ["0", "0.0", "-0.5", "1.5"] {
            let message = problems(&format!("[stories]\nthreshold = {bad}\n"));
            assert!(message.contains("out of range"), "{bad}: {message}");
        }
        assert!(problems("[stories]\nwindow = \"0s\"\n").contains("out of range"));
        let config = parse("[stories]\nthreshold = 1.0\nwindow = \"24h\"\n");
        let stories = config.unwrap().stories;
        assert_eq!(stories.threshold, 1.0);
        assert_eq!(stories.window, Duration::from_secs(24 * 3600));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let message = problems(
            "[fetch]\nconcurrency = 0\ntimeout = \"soon\"\n[[exports]]\npath = \"a\"\nformat = \"pdf\"\n",
        );
        assert!(
            message.contains("at least 1") && message.contains("soon") && message.contains("pdf"),
            "{message}"
        );
    }

    #[test]
    fn export_tags_are_checked_and_short_names_made_full() {
        let message =
            problems("[[exports]]\npath = \"a\"\nformat = \"atom\"\ntag = \"ai-infra/chip\"\n");
        assert!(
            message.contains("test.toml:4:") && message.contains("did you mean ai-infra/chips"),
            "{message}"
        );
        let config =
            parse("[[exports]]\npath = \"a\"\nformat = \"atom\"\ntag = \"energy\"\n").unwrap();
        assert_eq!(config.exports[0].tag.as_deref(), Some("ai-infra/energy"));
    }

    #[test]
    fn absurd_durations_and_limits_are_refused_with_their_line() {
        let cases = [
            ("[fetch]\nmax_backoff = \"300000y\"\n", ":2:", "max_backoff"),
            (
                "[fetch]\nmax_interval = \"300000y\"\n",
                ":2:",
                "max_interval",
            ),
            ("[fetch]\n\ntimeout = \"2h\"\n", ":3:", "timeout"),
            (
                "[[feeds]]\nurl = \"https://a.com/f\"\ninterval = \"300000y\"\n",
                ":3:",
                "interval",
            ),
            (
                "[fetch]\nconcurrency = 9223372036854775807\n",
                ":2:",
                "concurrency",
            ),
            (
                "[fetch]\nper_host = 9223372036854775807\n",
                ":2:",
                "per_host",
            ),
            ("[fetch]\nmax_body = \"100GiB\"\n", ":2:", "max_body"),
            ("[stories]\nwindow = \"1s\"\n", ":2:", "window"),
            (
                "[[exports]]\npath = \"a\"\nformat = \"atom\"\nlimit = 9223372036854775807\n",
                ":4:",
                "limit",
            ),
        ];
        for (text, line, key) in cases {
            let message = problems(text);
            assert!(
                message.contains(&format!("test.toml{line}")) && message.contains(key),
                "{text}: {message}"
            );
            assert!(
                message.contains("out of range") || message.contains("at most"),
                "{text}: {message}"
            );
        }
        let edge = parse("[fetch]\nmax_backoff = \"365d\"\nconcurrency = 1024\n").unwrap();
        assert_eq!(edge.fetch.concurrency, 1024);
    }

    #[test]
    fn config_checking_is_linear_in_the_number_of_feeds() {
        // Every feed is listed twice, so every one of them reports a problem with its line:
        // with a rescan of the text per position this took minutes.
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("[[feeds]]\nurl = \"https://a.com/{}\"\n", i / 2));
        }
        let started = std::time::Instant::now();
        let message = problems(&text);
        assert!(
            message.contains("test.toml:40000:"),
            "{}",
            message.get(..200).unwrap_or(&message)
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn http_listens_on_loopback_by_default_and_empty_turns_it_off() {
        let config = parse("").unwrap();
        assert_eq!(config.http.listen.unwrap().to_string(), "127.0.0.1:8080");
        let off = parse("[http]\nlisten = \"\"\ntoken = \"\"\n").unwrap();
        assert_eq!(
            off.http,
            HttpConfig {
                listen: None,
                token: None
            }
        );
        let err = problems("[http]\nlisten = \"localhost\"\n");
        assert!(
            err.contains("test.toml:2:10") && err.contains("127.0.0.1:8080"),
            "{err}"
        );
    }

    #[test]
    fn line_index_gives_lines_and_character_columns() {
        let text = "a\nبب = 1\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 0), (1, 1));
        assert_eq!(index.line_column(text, 2), (2, 1));
        assert_eq!(index.line_column(text, 6), (2, 3));
        assert_eq!(index.line_column(text, text.len()), (4, 2));
        assert_eq!(index.line_column(text, 1000), (4, 2));
    }

    #[test]
    fn the_same_feed_with_another_scheme_case_is_a_duplicate() {
        let dup = problems(
            "[[feeds]]\nurl = \"https://a.com/f\"\n[[feeds]]\nurl = \"HTTPS://A.com/f\"\n",
        );
        assert!(dup.contains("twice"), "{dup}");
    }

    #[test]
    fn sizes_accept_units() {
        assert_eq!(parse_size("10MiB"), Some(10 * 1024 * 1024));
        assert_eq!(parse_size("512 KiB"), Some(512 * 1024));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn the_system_config_defaults_to_the_services_store() {
        // STATE_DIRECTORY is set only under systemd; there it rightly wins.
        if std::env::var_os("STATE_DIRECTORY").is_some() {
            return;
        }
        let system = Config::parse("", Path::new(SYSTEM_CONFIG)).unwrap();
        assert_eq!(
            resolve_database_path(None, Some(&system), true),
            PathBuf::from("/var/lib/mirsad/mirsad.db")
        );
        let other = Config::parse("", Path::new("config/mirsad.toml")).unwrap();
        assert_eq!(
            resolve_database_path(None, Some(&other), false),
            PathBuf::from("data/mirsad.db")
        );
        // A named config keeps its store beside it, wherever the command runs.
        let named = Config::parse("", Path::new("/srv/m/mirsad.toml")).unwrap();
        assert_eq!(
            resolve_database_path(None, Some(&named), true),
            PathBuf::from("/srv/m/data/mirsad.db")
        );
    }

    #[test]
    fn database_path_is_relative_to_the_config_file() {
        let config = Config::parse(
            "database = \"state/m.db\"\n",
            Path::new("/etc/mirsad/mirsad.toml"),
        )
        .unwrap();
        assert_eq!(
            resolve_database_path(None, Some(&config), true),
            PathBuf::from("/etc/mirsad/state/m.db")
        );
        assert_eq!(
            resolve_database_path(Some(Path::new("x.db")), Some(&config), true),
            PathBuf::from("x.db")
        );
    }
}
