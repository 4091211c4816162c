//! Logging. Log lines carry method, route pattern, status and timing, and
//! internal errors with incident ids; never client addresses, user agents,
//! case codes or case content. The filter comes from `VARSEL_LOG`; the
//! format from `[log] format` (`text`, the default, or `json`: one JSON
//! object per line). Text lines are coloured only when standard error is a
//! terminal and `NO_COLOR` is not set.
//!
//! Lines written while serving a reporter request (inside a
//! [`REPORTER_SPAN`]) carry the date only, never the time of day, in either
//! format: a log line must not place a reporter's action more precisely
//! than the day (SPEC §3.5). The request line itself is not written for
//! those requests (`web::http::middleware`).

use std::fmt;
use std::io::IsTerminal;

use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{self, Format, Full, Writer};
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::core::operations::{LogFormat, LogSettings};

/// Name of the span a reporter request runs in.
pub const REPORTER_SPAN: &str = "reporter";

/// The filter of `VARSEL_LOG`, or the default.
fn filter() -> EnvFilter {
    EnvFilter::try_from_env("VARSEL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"))
}

/// Whether text lines may carry colour codes: standard error is a terminal
/// and `NO_COLOR` is unset or empty.
pub fn colour_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    std::io::stderr().is_terminal() && !no_color
}

/// Installs the global subscriber (stderr) with the configured format.
/// Safe to call twice.
pub fn init(settings: &LogSettings) {
    let _ = tracing::subscriber::set_global_default(subscriber(
        settings.format,
        colour_wanted(),
        filter(),
        std::io::stderr,
    ));
}

/// A subscriber writing `format` lines to `writer` (colour codes only if
/// `ansi`), reporter lines with the day alone.
pub fn subscriber<W>(
    format: LogFormat,
    ansi: bool,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(
            builder
                .with_ansi(ansi)
                .event_format(DayForReporters::default())
                .finish(),
        ),
        LogFormat::Json => Box::new(builder.with_ansi(false).event_format(JsonLines).finish()),
    }
}

/// Whether `event` is logged while serving a reporter request.
fn in_reporter_span<S, N>(ctx: &FmtContext<'_, S, N>) -> bool
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    ctx.event_scope()
        .is_some_and(|mut scope| scope.any(|span| span.name() == REPORTER_SPAN))
}

/// Today's date (UTC), for reporter lines.
fn today() -> time::Date {
    OffsetDateTime::from_unix_timestamp(crate::core::clock::system_now())
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

/// The usual line format, with the date alone for events of a reporter
/// request.
pub struct DayForReporters {
    precise: Format<Full, SystemTime>,
    day_only: Format<Full, ()>,
}

impl Default for DayForReporters {
    fn default() -> Self {
        let base = format().with_target(false);
        DayForReporters {
            day_only: base.clone().without_time(),
            precise: base,
        }
    }
}

fn format() -> Format<Full, SystemTime> {
    format::Format::default()
}

impl<S, N> FormatEvent<S, N> for DayForReporters
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if in_reporter_span(ctx) {
            write!(writer, "{} ", today())?;
            self.day_only.format_event(ctx, writer, event)
        } else {
            self.precise.format_event(ctx, writer, event)
        }
    }
}

/// One JSON object per line: `timestamp` (RFC 3339, UTC) — or for a
/// reporter request's event `date` alone —, `level`, `message`, the
/// event's other `fields`, and the names of its `spans`, outermost first.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

/// Collects an event's fields as JSON values.
#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    fields: serde_json::Map<String, serde_json::Value>,
}

impl JsonFields {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for JsonFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, serde_json::json!(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, serde_json::json!(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, serde_json::json!(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, serde_json::json!(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, serde_json::json!(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, serde_json::json!(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, serde_json::json!(format!("{value:?}")));
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = serde_json::Map::new();
        if in_reporter_span(ctx) {
            line.insert("date".into(), serde_json::json!(today().to_string()));
        } else {
            use crate::core::clock::Clock;
            let stamp = crate::core::clock::SystemClock
                .now()
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(|_| fmt::Error)?;
            line.insert("timestamp".into(), serde_json::json!(stamp));
        }
        line.insert(
            "level".into(),
            serde_json::json!(event.metadata().level().as_str()),
        );
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        if let Some(message) = fields.message {
            line.insert("message".into(), serde_json::json!(message));
        }
        if !fields.fields.is_empty() {
            line.insert("fields".into(), serde_json::Value::Object(fields.fields));
        }
        if let Some(scope) = ctx.event_scope() {
            let spans: Vec<serde_json::Value> = scope
                .from_root()
                .map(|span| serde_json::json!(span.name()))
                .collect();
            if !spans.is_empty() {
                line.insert("spans".into(), serde_json::Value::Array(spans));
            }
        }
        let text =
            serde_json::to_string(&serde_json::Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    /// The lines logged in `format` for one staff event and one event
    /// inside a reporter request.
    fn lines(format: LogFormat) -> (String, String) {
        let buffer = Buffer::default();
        let subscriber = subscriber(format, false, EnvFilter::new("info"), buffer.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(route = "/staff/inbox", status = 200u16, "request");
            let span = tracing::info_span!(REPORTER_SPAN);
            span.in_scope(|| tracing::warn!(error = "disk full", "cannot store"));
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let mut lines = text.lines().map(str::to_owned);
        (lines.next().unwrap(), lines.next().unwrap())
    }

    fn has_time_of_day(line: &str) -> bool {
        line.as_bytes().windows(5).any(|w| {
            w[0].is_ascii_digit()
                && w[1].is_ascii_digit()
                && w[2] == b':'
                && w[3].is_ascii_digit()
                && w[4].is_ascii_digit()
        })
    }

    #[test]
    fn text_lines_have_no_colour_codes_and_reporter_lines_only_the_day() {
        let (staff, reporter) = lines(LogFormat::Text);
        assert!(
            !staff.contains('\u{1b}') && !reporter.contains('\u{1b}'),
            "{staff}\n{reporter}"
        );
        assert!(has_time_of_day(&staff), "{staff}");
        assert!(
            staff.contains("route=\"/staff/inbox\"") || staff.contains("route=/staff/inbox"),
            "{staff}"
        );
        assert!(reporter.starts_with(&today().to_string()), "{reporter}");
        assert!(!has_time_of_day(&reporter), "{reporter}");
        assert!(reporter.contains("cannot store"), "{reporter}");
    }

    #[test]
    fn json_lines_parse_and_reporter_lines_carry_only_the_day() {
        let (staff, reporter) = lines(LogFormat::Json);
        let staff: serde_json::Value = serde_json::from_str(&staff).unwrap();
        let reporter_line = reporter.clone();
        let reporter: serde_json::Value = serde_json::from_str(&reporter).unwrap();
        assert_eq!(staff["level"], "INFO");
        assert_eq!(staff["message"], "request");
        assert_eq!(staff["fields"]["route"], "/staff/inbox");
        assert_eq!(staff["fields"]["status"], 200);
        assert!(has_time_of_day(staff["timestamp"].as_str().unwrap()));
        assert_eq!(reporter["date"], today().to_string());
        assert!(reporter.get("timestamp").is_none());
        assert_eq!(reporter["level"], "WARN");
        assert_eq!(reporter["fields"]["error"], "disk full");
        assert_eq!(reporter["spans"][0], REPORTER_SPAN);
        assert!(!has_time_of_day(&reporter_line), "{reporter_line}");
    }
}
