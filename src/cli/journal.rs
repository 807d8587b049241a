//! Log lines for journald: under systemd (`JOURNAL_STREAM` set) each line starts with its
//! syslog priority (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug), which journald reads
//! from a stream, so `journalctl -p warning` shows warnings and errors instead of nothing.

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// A line mirsad prints itself on stderr (the final error), prefixed with the error priority
/// under journald like every log line, so `journalctl -p err` shows why a command failed.
pub(crate) fn error_line(text: &str) -> String {
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        format!("<3>{text}")
    } else {
        text.to_owned()
    }
}

/// Wraps a line format, prefixing each event with its priority.
pub(crate) struct WithPriority<F>(pub(crate) F);

/// The syslog priority journald gives a line of `level`.
pub(crate) fn priority(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "<3>",
        Level::WARN => "<4>",
        Level::INFO => "<6>",
        _ => "<7>",
    }
}

impl<S, N, F> FormatEvent<S, N> for WithPriority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        writer.write_str(priority(event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_warnings_get_their_journald_priorities() {
        assert_eq!(priority(&Level::ERROR), "<3>");
        assert_eq!(priority(&Level::WARN), "<4>");
        assert_eq!(priority(&Level::INFO), "<6>");
        assert_eq!(priority(&Level::DEBUG), "<7>");
        assert_eq!(priority(&Level::TRACE), "<7>");
    }
}
