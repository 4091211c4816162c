//! Statistics for the management review (SPEC §1, §4): a page with charts
//! and tables, and the same figures as CSV. Only for staff holding the
//! auditor or administrator role; figures only, never case content, and no
//! count small enough to single out a reporter (see [`crate::core::statistics`]).

mod chart;
pub(crate) mod csv;
mod page;

use time::{Date, UtcOffset};

use crate::core::actor::StaffMember;
use crate::core::i18n::Translator;
use crate::core::statistics::{Cell, Figure, Period, Report, Rules, Suppression, YearMonth};
use crate::web::http::{ErrorKind, Visitor};
use crate::web::pages::staff::StaffError;
use crate::web::state::AppState;

/// Registers the routes of this area.
pub fn configure(routes: &mut crate::web::registry::Registry<'_>) {
    routes
        .get("/stats", page::page)
        .get("/stats.csv", csv::download);
}

/// The staff session of someone who may read statistics: an auditor or an
/// administrator. No session: the login page; any other role: 403.
fn statistics_reader(visitor: &Visitor) -> Result<&StaffMember, StaffError> {
    crate::web::pages::staff::permitted(visitor, crate::core::authz::Permission::ReadStatistics)
}

/// Today, in UTC, by the application's clock.
fn today(state: &AppState) -> Date {
    state.clock.now().to_offset(UtcOffset::UTC).date()
}

/// The period `?year=YYYY|all` asks for; without one, the current calendar
/// year. `None` for anything else.
fn requested_period(query: &str, today: Date) -> Option<Period> {
    let requested = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "year")
        .map(|(_, v)| v);
    match requested {
        None | Some("") => Some(Period::current_year(today)),
        Some(v) => Period::parse(v),
    }
}

/// The requested period, or a "bad request" page.
fn period(visitor: &Visitor, query: &str, today: Date) -> Result<Period, StaffError> {
    requested_period(query, today).ok_or_else(|| visitor.error(ErrorKind::BadRequest).into())
}

/// The report of `period`, under the configured rules, as of the
/// application's clock.
async fn compute(
    state: &AppState,
    visitor: &Visitor,
    period: Period,
) -> Result<Report, StaffError> {
    let cases = state
        .store
        .case_figures(period.received_range())
        .await
        .map_err(|e| visitor.internal(e))?;
    let escalations = state
        .store
        .escalation_counts(period.range())
        .await
        .map_err(|e| visitor.internal(e))?;
    let rules = Rules {
        min_cell: u64::from(state.settings.statistics.min_cell_count),
        deadlines: state.settings.deadlines.clone(),
    };
    Ok(Report::compute(
        &cases,
        &escalations,
        period,
        rules,
        state.clock.now(),
    ))
}

/// A count as the page shows it: the number, "< 5", or "hidden".
fn show_cell(t: &Translator, cell: Cell, min_cell: u64) -> String {
    match (cell.shown(), cell.suppression()) {
        (Some(n), _) => n.to_string(),
        (None, Some(Suppression::Complementary)) => t.t("statistics.hidden"),
        (None, _) => t.f("statistics.small", &[("n", &min_cell.to_string())]),
    }
}

/// A number with at most one decimal, `.` as the separator (CSV).
fn plain_number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// A number as the interface language writes it (decimal comma in Norwegian).
fn local_number(t: &Translator, value: f64) -> String {
    let plain = plain_number(value);
    match t.lang() {
        crate::core::i18n::Lang::Nb | crate::core::i18n::Lang::Nn => plain.replace('.', ","),
        crate::core::i18n::Lang::En => plain,
    }
}

/// A figure on the page: a share, a number of days, or why it is missing.
fn show_figure(t: &Translator, figure: Figure, min_cell: u64, unit: Unit) -> String {
    match figure {
        Figure::Value(v) => match unit {
            Unit::Percent => t.f("statistics.percent", &[("value", &local_number(t, v))]),
            Unit::Days if plain_number(v) == "1" => t.t("statistics.one_day"),
            Unit::Days => t.f("statistics.days", &[("value", &local_number(t, v))]),
        },
        Figure::Suppressed => t.f(
            "statistics.figure_suppressed",
            &[("n", &min_cell.to_string())],
        ),
        Figure::NoData => t.t("statistics.no_data"),
    }
}

/// What a figure measures.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Percent,
    Days,
}

/// A month's name and year ("mars 2025").
fn month_label(t: &Translator, month: YearMonth) -> String {
    t.f(
        "statistics.month_year",
        &[
            ("month", &t.t(&format!("statistics.month.{}", month.month))),
            ("year", &month.year.to_string()),
        ],
    )
}

/// A month's short name, with the year's last two digits when the period
/// spans several years ("mar" or "mar 25").
fn month_short(t: &Translator, month: YearMonth, with_year: bool) -> String {
    let name = t.t(&format!("statistics.month_short.{}", month.month));
    if with_year {
        format!("{name} {:02}", month.year.rem_euclid(100))
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::i18n::Lang;
    use time::macros::date;

    #[test]
    fn the_period_defaults_to_the_current_year_and_rejects_nonsense() {
        let today = date!(2026 - 02 - 10);
        assert_eq!(requested_period("", today), Some(Period::Year(2026)));
        assert_eq!(
            requested_period("lang=en&year=2023", today),
            Some(Period::Year(2023))
        );
        assert_eq!(requested_period("year=all", today), Some(Period::All));
        assert_eq!(requested_period("year=", today), Some(Period::Year(2026)));
        assert_eq!(requested_period("year=20x5", today), None);
        assert_eq!(requested_period("year=%32025", today), None);
    }

    #[test]
    fn numbers_follow_the_language() {
        let nb = Translator::new(Lang::Nb);
        let en = Translator::new(Lang::En);
        assert_eq!(plain_number(63.636), "63.6");
        assert_eq!(plain_number(4.0), "4");
        assert_eq!(local_number(&nb, 2.5), "2,5");
        assert_eq!(local_number(&en, 2.5), "2.5");
        assert_eq!(
            show_figure(&nb, Figure::Value(1.0), 5, Unit::Days),
            nb.t("statistics.one_day")
        );
        assert!(show_figure(&en, Figure::Value(63.64), 5, Unit::Percent).contains("63.6"));
    }
}
