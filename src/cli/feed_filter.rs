//! `--feed NAME|URL`: a feed the store or the config knows, or a refusal with the closest one.
//! A misspelt feed used to match nothing and look like a quiet feed.

use anyhow::bail;

use crate::config::Config;
use crate::store::FeedRow;

/// The value to filter the store by for `--feed text`: `text` itself when a stored feed has it
/// as URL, fetched URL or name; the URL when it is a stored feed's title or a configured feed's
/// name (the store may not know that name yet); else an error suggesting the closest feed.
pub(crate) fn resolve_feed(
    text: &str,
    stored: &[FeedRow],
    configured: &[crate::config::FeedConfig],
) -> anyhow::Result<String> {
    let text = text.trim();
    let is = |value: Option<&str>| value == Some(text);
    if stored
        .iter()
        .any(|f| is(Some(&f.url)) || is(f.fetch_url.as_deref()) || is(f.name.as_deref()))
    {
        return Ok(text.to_owned());
    }
    if let Some(feed) = stored.iter().find(|f| is(f.title.as_deref())) {
        return Ok(feed.url.clone());
    }
    if let Some(feed) = configured
        .iter()
        .find(|f| is(Some(&f.url)) || is(f.name.as_deref()))
    {
        return Ok(feed.url.clone());
    }
    // Every way a feed may be named, with the URL that identifies it.
    let names = stored
        .iter()
        .flat_map(|f| {
            [
                Some(&f.url),
                f.fetch_url.as_ref(),
                f.name.as_ref(),
                f.title.as_ref(),
            ]
            .into_iter()
            .flatten()
            .map(|n| (n.as_str(), f.url.as_str()))
        })
        .chain(configured.iter().flat_map(|f| {
            [Some(&f.url), f.name.as_ref()]
                .into_iter()
                .flatten()
                .map(|n| (n.as_str(), f.url.as_str()))
        }));
    let lowered = text.to_lowercase();
    let closest = names
        .map(|(name, url)| {
            (
                strsim::jaro_winkler(&lowered, &name.to_lowercase()),
                name,
                url,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match closest {
        Some((_, name, url)) if name == url => {
            bail!("--feed: no feed {text:?}: did you mean {url}? (`mirsad feeds` lists them)")
        }
        Some((_, name, url)) => bail!(
            "--feed: no feed {text:?}: did you mean {name:?} ({url})? (`mirsad feeds` lists them)"
        ),
        None => bail!("--feed: no feed {text:?}: the store and the config have no feeds yet"),
    }
}

/// [`resolve_feed`] against the open store and the config when there is one.
pub(crate) fn resolve_with(
    text: &str,
    store: &crate::store::Store,
    config: Option<&Config>,
) -> anyhow::Result<String> {
    let stored = store.feeds()?;
    let configured = config.map_or(&[][..], |c| c.feeds.as_slice());
    resolve_feed(text, &stored, configured)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FeedStatus;

    fn row(url: &str, name: Option<&str>, title: Option<&str>) -> FeedRow {
        FeedRow {
            id: 1,
            url: url.into(),
            fetch_url: None,
            name: name.map(Into::into),
            title: title.map(Into::into),
            site_link: None,
            status: FeedStatus::Ok,
            last_fetch_at: None,
            next_fetch_at: None,
            last_status: None,
            error_count: 0,
            last_error: None,
            disabled_reason: None,
            items: 0,
        }
    }

    #[test]
    fn known_feeds_pass_and_titles_become_urls() {
        let stored = [row(
            "https://aitnews.com/feed/",
            Some("aitnews"),
            Some("عالم التقنية"),
        )];
        assert_eq!(resolve_feed("aitnews", &stored, &[]).unwrap(), "aitnews");
        assert_eq!(
            resolve_feed("عالم التقنية", &stored, &[]).unwrap(),
            "https://aitnews.com/feed/"
        );
    }

    #[test]
    fn unknown_feeds_get_the_closest_name_or_url() {
        let stored = [
            row("https://aitnews.com/feed/", Some("aitnews"), None),
            row("https://arabic.cnn.com/rss", None, None),
        ];
        let err = resolve_feed("aitnew", &stored, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("did you mean \"aitnews\" (https://aitnews.com/feed/)"),
            "{err}"
        );
        let err = resolve_feed("https://arabic.cnn.com/rs", &stored, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("did you mean https://arabic.cnn.com/rss?"),
            "{err}"
        );
    }
}
