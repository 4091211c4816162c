//! GET /stats?year=YYYY|all — the statistics page: for each measure a chart
//! (inline SVG) with a table of the same numbers beside it, the month tables
//! by category and by severity, and the deadline figures.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::chart::{self, Bar, Chart};
use super::{
    compute, month_label, month_short, period, show_cell, show_figure, statistics_reader, today,
    Unit,
};
use crate::http::Visitor;
use crate::i18n::Translator;
use crate::routes::staff::StaffResult;
use crate::state::AppState;
use crate::statistics::{Cell, CrossTable, Period, Recorded, Report, YearMonth};

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

/// A month table.
struct TableView {
    caption: String,
    /// Column headings.
    columns: Vec<String>,
    /// (month, cells, month total).
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
    heading: String,
    period_key: String,
    intro: String,
    suppression_note: String,
    periods: Vec<PeriodOption>,
    csv_href: String,
    figures: Vec<FigureView>,
    tables: Vec<TableView>,
    acknowledgement: Vec<Measure>,
    feedback_recorded: bool,
    escalations_recorded: bool,
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
    let report = compute(&state, &visitor, period, today).await?;
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
        works_cases: crate::authz::staff_may(staff, crate::authz::Permission::WorkCases),
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
            table_view(
                &t,
                "statistics.table.by_category",
                "category",
                &report.by_category,
                min_cell,
            ),
            table_view(
                &t,
                "statistics.table.by_severity",
                "severity",
                &report.by_severity,
                min_cell,
            ),
        ],
        acknowledgement: acknowledgement(&t, &report),
        feedback_recorded: !matches!(report.feedback, Recorded::NotYet),
        escalations_recorded: !matches!(report.escalations, Recorded::NotYet),
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
fn table_view(
    t: &Translator,
    caption: &str,
    group: &str,
    table: &CrossTable<YearMonth>,
    min_cell: u64,
) -> TableView {
    let show = |cell: &Cell| show_cell(t, *cell, min_cell);
    TableView {
        caption: t.t(caption),
        columns: table
            .columns
            .iter()
            .map(|key| t.t(&format!("{group}.{key}")))
            .collect(),
        rows: table
            .rows
            .iter()
            .zip(&table.cells)
            .zip(&table.row_totals)
            .map(|((&m, cells), total)| {
                (
                    month_label(t, m),
                    cells.iter().map(show).collect(),
                    show(total),
                )
            })
            .collect(),
        totals: table.column_totals.iter().map(show).collect(),
        total: show(&table.total),
    }
}

/// The acknowledgement measures.
fn acknowledgement(t: &Translator, report: &Report) -> Vec<Measure> {
    let min_cell = report.rules.min_cell;
    let days = report.rules.acknowledge_days.to_string();
    let ack = &report.acknowledgement;
    let times = &report.time_to_acknowledge;
    let measure = |key: &str, value: String| Measure {
        label: t.f(key, &[("days", &days)]),
        value,
    };
    vec![
        measure("statistics.ack.due", show_cell(t, ack.due, min_cell)),
        measure(
            "statistics.ack.met",
            show_figure(t, ack.met_percent, min_cell, Unit::Percent),
        ),
        measure(
            "statistics.ack.acknowledged",
            show_cell(t, times.answered, min_cell),
        ),
        measure(
            "statistics.ack.median",
            show_figure(t, times.median_days, min_cell, Unit::Days),
        ),
        measure(
            "statistics.ack.p90",
            show_figure(t, times.p90_days, min_cell, Unit::Days),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

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
