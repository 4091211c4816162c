//! GET /stats?year=YYYY|all — the statistics page: for each measure a chart
//! (inline SVG) with a table of the same numbers beside it, the month tables
//! by category and by severity, the deadline figures, and escalation
//! decisions by authority and decision.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::chart::{self, Bar, Chart, Group, GroupedChart};
use super::{
    compute, month_label, month_short, period, show_cell, show_figure, statistics_reader, today,
    Unit,
};
use crate::core::domain::{Authority, Decision};
use crate::core::i18n::Translator;
use crate::core::statistics::{Cell, CrossTable, DeadlineOutcomes, Period, Report, YearMonth};
use crate::web::http::Visitor;
use crate::web::pages::staff::StaffResult;
use crate::web::state::AppState;

/// A chart with the table of its numbers.
struct FigureView {
    /// The chart's heading.
    heading: String,
    /// The SVG, built by [`chart`] with every label escaped.
    svg: String,
    /// Caption of the table.
    caption: String,
    /// Heading of the label column.
    key_heading: String,
    /// (label, count as shown).
    rows: Vec<(String, String)>,
}

/// A table with totals both ways (months or authorities down the side).
struct TableView {
    caption: String,
    /// Heading of the label column.
    key_heading: String,
    /// Column headings.
    columns: Vec<String>,
    /// (label, cells, row total).
    rows: Vec<(String, Vec<String>, String)>,
    /// Column totals and the grand total.
    totals: Vec<String>,
    total: String,
}

/// One measure of the acknowledgement section.
struct Measure {
    label: String,
    value: String,
}

/// A choice in the period selector.
struct PeriodOption {
    value: String,
    label: String,
    selected: bool,
}

/// The page.
#[derive(Template)]
#[template(path = "statistics/page.html")]
struct StatisticsPage {
    t: Translator,
    csrf: String,
    signed_in_as: String,
    works_cases: bool,
    /// Whether to link the administration pages.
    show_admin: bool,
    heading: String,
    period_key: String,
    intro: String,
    suppression_note: String,
    periods: Vec<PeriodOption>,
    csv_href: String,
    figures: Vec<FigureView>,
    tables: Vec<TableView>,
    acknowledgement: Vec<Measure>,
    feedback: Vec<Measure>,
    feedback_explanation: String,
    escalation_intro: String,
    escalation_svg: String,
    escalation_table: TableView,
}

/// GET /stats
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> StaffResult {
    let staff = statistics_reader(&visitor)?;
    let today = today(&state);
    let period = period(&visitor, req.query_string(), today)?;
    let report = compute(&state, &visitor, period).await?;
    let first_year = state
        .store
        .first_received_at()
        .await
        .map_err(|e| visitor.internal(e))?
        .and_then(YearMonth::of)
        .map(|m| m.year);
    let t = visitor.t();
    let min_cell = report.rules.min_cell;
    let period_label = period_label(&t, period);
    let page = StatisticsPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        signed_in_as: t.f("staff.nav.signed_in_as", &[("name", &staff.display_name)]),
        works_cases: crate::core::authz::staff_may(
            staff,
            crate::core::authz::Permission::WorkCases,
        ),
        show_admin: crate::core::authz::staff_may(
            staff,
            crate::core::authz::Permission::Administer,
        ),
        heading: t.f("statistics.heading", &[("period", &period_label)]),
        period_key: period.key(),
        intro: t.f("statistics.intro", &[("period", &period_label)]),
        suppression_note: t.f(
            "statistics.suppression_note",
            &[("n", &min_cell.to_string())],
        ),
        periods: period_options(&t, period, first_year, today.year()),
        csv_href: format!("/stats.csv?year={}", period.key()),
        figures: figures(&t, &report),
        tables: vec![
            month_table(
                &t,
                "statistics.table.by_category",
                "category",
                &report.by_category,
                min_cell,
            ),
            month_table(
                &t,
                "statistics.table.by_severity",
                "severity",
                &report.by_severity,
                min_cell,
            ),
        ],
        acknowledgement: acknowledgement(&t, &report),
        feedback: feedback(&t, &report),
        feedback_explanation: with_months(&t, "statistics.feedback.explanation", &report),
        escalation_intro: t.f("statistics.escalation.intro", &[("period", &period_label)]),
        escalation_svg: escalation_chart(&t, &report),
        escalation_table: escalation_table(&t, &report),
    };
    let body = page.render().map_err(|e| visitor.internal(e))?;
    Ok(HttpResponse::build(StatusCode::OK)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// "2025" or "all years".
fn period_label(t: &Translator, period: Period) -> String {
    match period {
        Period::Year(y) => y.to_string(),
        Period::All => t.t("statistics.period.all"),
    }
}

/// Every year from the first case (or last year) to this one, newest
/// first, the requested one included, then "all years".
fn period_options(
    t: &Translator,
    current: Period,
    first_year: Option<i32>,
    this_year: i32,
) -> Vec<PeriodOption> {
    let mut first = first_year.unwrap_or(this_year - 1).min(this_year - 1);
    let mut last = this_year;
    if let Period::Year(y) = current {
        first = first.min(y);
        last = last.max(y);
    }
    let mut options: Vec<PeriodOption> = (first..=last)
        .rev()
        .map(|y| PeriodOption {
            value: y.to_string(),
            label: y.to_string(),
            selected: current == Period::Year(y),
        })
        .collect();
    options.push(PeriodOption {
        value: Period::All.key(),
        label: t.t("statistics.period.all"),
        selected: current == Period::All,
    });
    options
}

/// A bar for a count.
fn bar(t: &Translator, label: String, cell: Cell, min_cell: u64) -> Bar {
    Bar {
        label,
        value: cell.shown(),
        text: show_cell(t, cell, min_cell),
    }
}

/// The three charts: cases per month, per category, per severity.
fn figures(t: &Translator, report: &Report) -> Vec<FigureView> {
    let min_cell = report.rules.min_cell;
    let several_years = report
        .months()
        .first()
        .zip(report.months().last())
        .is_some_and(|(a, b)| a.year != b.year);
    let month_bars: Vec<Bar> = report
        .months()
        .iter()
        .zip(report.month_totals())
        .map(|(&m, &cell)| bar(t, month_short(t, m, several_years), cell, min_cell))
        .collect();
    let month_rows = report
        .months()
        .iter()
        .zip(report.month_totals())
        .map(|(&m, &cell)| (month_label(t, m), show_cell(t, cell, min_cell)))
        .collect();
    let by_key =
        |table: &CrossTable<YearMonth>, group: &str| -> (Vec<Bar>, Vec<(String, String)>) {
            table
                .columns
                .iter()
                .zip(&table.column_totals)
                .map(|(key, &cell)| {
                    let label = t.t(&format!("{group}.{key}"));
                    (
                        bar(t, label.clone(), cell, min_cell),
                        (label, show_cell(t, cell, min_cell)),
                    )
                })
                .unzip()
        };
    let (category_bars, category_rows) = by_key(&report.by_category, "category");
    let (severity_bars, severity_rows) = by_key(&report.by_severity, "severity");
    let chart_of = |id: &'static str, name: &str, bars: Vec<Bar>| Chart {
        id,
        title: t.t(&format!("statistics.chart.{name}.title")),
        description: t.t(&format!("statistics.chart.{name}.description")),
        bars,
    };
    vec![
        FigureView {
            heading: t.t("statistics.chart.months.title"),
            caption: t.f(
                "statistics.same_numbers",
                &[("chart", &t.t("statistics.chart.months.title"))],
            ),
            svg: chart::columns(&chart_of("chart-months", "months", month_bars)),
            key_heading: t.t("statistics.column.month"),
            rows: month_rows,
        },
        FigureView {
            heading: t.t("statistics.chart.categories.title"),
            caption: t.f(
                "statistics.same_numbers",
                &[("chart", &t.t("statistics.chart.categories.title"))],
            ),
            svg: chart::rows(&chart_of("chart-categories", "categories", category_bars)),
            key_heading: t.t("statistics.column.category"),
            rows: category_rows,
        },
        FigureView {
            heading: t.t("statistics.chart.severities.title"),
            caption: t.f(
                "statistics.same_numbers",
                &[("chart", &t.t("statistics.chart.severities.title"))],
            ),
            svg: chart::rows(&chart_of("chart-severities", "severities", severity_bars)),
            key_heading: t.t("statistics.column.severity"),
            rows: severity_rows,
        },
    ]
}

/// A month table as shown.
fn month_table(
    t: &Translator,
    caption: &str,
    group: &str,
    table: &CrossTable<YearMonth>,
    min_cell: u64,
) -> TableView {
    table_view(
        t,
        t.t(caption),
        t.t("statistics.column.month"),
        table,
        |m| month_label(t, *m),
        |key| t.t(&format!("{group}.{key}")),
        min_cell,
    )
}

/// A table as shown, its rows and columns labelled by `row_label` and
/// `column_label`.
fn table_view<R>(
    t: &Translator,
    caption: String,
    key_heading: String,
    table: &CrossTable<R>,
    row_label: impl Fn(&R) -> String,
    column_label: impl Fn(&str) -> String,
    min_cell: u64,
) -> TableView {
    let show = |cell: &Cell| show_cell(t, *cell, min_cell);
    TableView {
        caption,
        key_heading,
        columns: table.columns.iter().map(|key| column_label(key)).collect(),
        rows: table
            .rows
            .iter()
            .zip(&table.cells)
            .zip(&table.row_totals)
            .map(|((row, cells), total)| {
                (
                    row_label(row),
                    cells.iter().map(show).collect(),
                    show(total),
                )
            })
            .collect(),
        totals: table.column_totals.iter().map(show).collect(),
        total: show(&table.total),
    }
}

/// The measures of a deadline's outcomes, the same for every deadline:
/// cases due, met and missed, the share met, and the cases not yet due.
/// `label` translates the keys `due`, `met_cases`, `missed_cases`, `met` and
/// `not_yet_due` of the deadline's section.
fn outcome_measures(
    t: &Translator,
    outcomes: &DeadlineOutcomes,
    min_cell: u64,
    label: impl Fn(&str) -> String,
) -> Vec<Measure> {
    let DeadlineOutcomes {
        met,
        missed,
        due,
        not_yet_due,
        met_percent,
    } = outcomes;
    let measure = |key: &str, value: String| Measure {
        label: label(key),
        value,
    };
    vec![
        measure("due", show_cell(t, *due, min_cell)),
        measure("met_cases", show_cell(t, *met, min_cell)),
        measure("missed_cases", show_cell(t, *missed, min_cell)),
        measure("met", show_figure(t, *met_percent, min_cell, Unit::Percent)),
        measure("not_yet_due", show_cell(t, *not_yet_due, min_cell)),
    ]
}

/// The acknowledgement measures: the deadline's outcomes, then the cases
/// acknowledged and how long that took.
fn acknowledgement(t: &Translator, report: &Report) -> Vec<Measure> {
    let min_cell = report.rules.min_cell;
    let days = report.rules.deadlines.acknowledge_days.to_string();
    let label = |key: &str| t.f(&format!("statistics.ack.{key}"), &[("days", &days)]);
    let times = &report.time_to_acknowledge;
    let mut measures = outcome_measures(t, &report.acknowledgement, min_cell, label);
    for (key, value) in [
        ("acknowledged", show_cell(t, times.answered, min_cell)),
        (
            "median",
            show_figure(t, times.median_days, min_cell, Unit::Days),
        ),
        ("p90", show_figure(t, times.p90_days, min_cell, Unit::Days)),
    ] {
        measures.push(Measure {
            label: label(key),
            value,
        });
    }
    measures
}

/// `key` translated with the lengths of the feedback deadline.
fn with_months(t: &Translator, key: &str, report: &Report) -> String {
    let deadlines = &report.rules.deadlines;
    t.f(
        key,
        &[
            ("months", &deadlines.feedback_months.to_string()),
            (
                "extended_months",
                &deadlines.feedback_extended_months.to_string(),
            ),
        ],
    )
}

/// The feedback measures.
fn feedback(t: &Translator, report: &Report) -> Vec<Measure> {
    outcome_measures(t, &report.feedback, report.rules.min_cell, |key| {
        with_months(t, &format!("statistics.feedback.{key}"), report)
    })
}

/// The label of an authority key.
fn authority_label(t: &Translator, key: &str) -> String {
    t.t(&Authority::label_key_of(key))
}

/// The label of a decision key.
fn decision_label(t: &Translator, key: &str) -> String {
    t.t(&Decision::label_key_of(key))
}

/// The escalation chart: for each authority a bar per decision.
fn escalation_chart(t: &Translator, report: &Report) -> String {
    let min_cell = report.rules.min_cell;
    let table = &report.escalations;
    let groups: Vec<Group> = table
        .rows
        .iter()
        .zip(&table.cells)
        .map(|(authority, cells)| Group {
            label: authority_label(t, authority),
            bars: table
                .columns
                .iter()
                .zip(cells)
                .map(|(decision, &cell)| bar(t, decision_label(t, decision), cell, min_cell))
                .collect(),
        })
        .collect();
    chart::grouped_rows(&GroupedChart {
        id: "chart-escalations",
        title: t.t("statistics.chart.escalations.title"),
        description: t.t("statistics.chart.escalations.description"),
        groups,
    })
}

/// The escalation table: authorities down, decisions across.
fn escalation_table(t: &Translator, report: &Report) -> TableView {
    table_view(
        t,
        t.f(
            "statistics.same_numbers",
            &[("chart", &t.t("statistics.chart.escalations.title"))],
        ),
        t.t("statistics.column.authority"),
        &report.escalations,
        |key| authority_label(t, key),
        |key| decision_label(t, key),
        report.rules.min_cell,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::i18n::Lang;

    #[test]
    fn the_period_choices_run_from_the_first_case_to_this_year() {
        let t = Translator::new(Lang::Nb);
        let values = |o: Vec<PeriodOption>| o.into_iter().map(|o| o.value).collect::<Vec<_>>();
        assert_eq!(
            values(period_options(&t, Period::Year(2025), Some(2023), 2026)),
            vec!["2026", "2025", "2024", "2023", "all"]
        );
        assert_eq!(
            values(period_options(&t, Period::Year(2020), None, 2026)),
            vec!["2026", "2025", "2024", "2023", "2022", "2021", "2020", "all"]
        );
        let options = period_options(&t, Period::All, None, 2026);
        assert!(options.iter().any(|o| o.value == "all" && o.selected));
    }
}
