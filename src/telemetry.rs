//! Logging. Log lines carry method, route pattern, status and timing, and
//! internal errors with incident ids; never client addresses, user agents,
//! case codes or case content. The filter comes from `VARSEL_LOG`.
//!
//! Lines written while serving a reporter request (inside a
//! [`REPORTER_SPAN`]) carry the date only, never the time of day: a log line
//! must not place a reporter's action more precisely than the day (SPEC
//! §3.5). The request line itself is not written for those requests
//! (`web::http::middleware`).

use std::fmt;

use time::OffsetDateTime;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{self, Format, Full, Writer};
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Name of the span a reporter request runs in.
pub const REPORTER_SPAN: &str = "reporter";

/// Installs the global subscriber (stderr). Safe to call twice.
pub fn init() {
    let filter = EnvFilter::try_from_env("VARSEL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(DayForReporters::default())
        .try_init();
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
        let reporter = ctx
            .event_scope()
            .is_some_and(|mut scope| scope.any(|span| span.name() == REPORTER_SPAN));
        if reporter {
            let day = OffsetDateTime::from_unix_timestamp(crate::core::clock::system_now())
                .map(|t| t.date())
                .unwrap_or(time::Date::MIN);
            write!(writer, "{day} ")?;
            self.day_only.format_event(ctx, writer, event)
        } else {
            self.precise.format_event(ctx, writer, event)
        }
    }
}
