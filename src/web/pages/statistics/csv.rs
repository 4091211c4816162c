//! GET /stats.csv?year=YYYY|all — the report as CSV (RFC 4180, UTF-8).
//!
//! Columns `section,key,month,count,suppressed`. A hidden count has an empty
//! `count` and `suppressed` = `true`. An empty `month` means the whole
//! period; `month` rows (empty key) are the cases per month, the `total` row
//! all cases. In the `acknowledgement` and `feedback` sections `count` holds
//! the figure the key names (cases, a share in percent, or days, `.` as
//! decimal separator); both have the same deadline lines (`due_cases`,
//! `met_cases`, `missed_cases`, `not_yet_due_cases`, `met_percent`), and the
//! acknowledgement also `acknowledged_cases`, `median_days` and `p90_days`. In the `escalation` section `key` is the authority
//! and `month` the decision; an empty one means all of them.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{compute, period, plain_number, statistics_reader, today};
use crate::core::statistics::{
    Cell, CrossTable, DeadlineOutcomes, Figure, Period, Report, YearMonth,
};
use crate::web::http::Visitor;
use crate::web::pages::staff::StaffResult;
use crate::web::state::AppState;

/// The header line.
const HEADER: &str = "section,key,month,count,suppressed";

/// GET /stats.csv
pub(super) async fn download(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> StaffResult {
    statistics_reader(&visitor)?;
    let today = today(&state);
    let period = period(&visitor, req.query_string(), today)?;
    let report = compute(&state, &visitor, period).await?;
    let filename = format!("varsel-statistics-{}.csv", period.key());
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(to_csv(&report)))
}

/// One CSV line.
struct Row<'a> {
    section: &'a str,
    key: &'a str,
    month: String,
    count: Option<String>,
    suppressed: bool,
}

impl Row<'_> {
    fn write(&self, out: &mut String) {
        let count = self.count.as_deref().unwrap_or("");
        let fields = [self.section, self.key, &self.month, count];
        for field in fields {
            out.push_str(&field_of(field));
            out.push(',');
        }
        out.push_str(if self.suppressed { "true" } else { "false" });
        out.push_str("\r\n");
    }
}

/// A field, quoted if it needs to be, and never read as a formula by a
/// spreadsheet (stored keys are plain words, but the CSV does not rely on it).
pub(crate) fn field_of(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A count line.
fn count_row<'a>(section: &'a str, key: &'a str, month: String, cell: Cell) -> Row<'a> {
    Row {
        section,
        key,
        month,
        count: cell.shown().map(|n| n.to_string()),
        suppressed: cell.suppression().is_some(),
    }
}

/// A figure line.
fn figure_row<'a>(section: &'a str, key: &'a str, figure: Figure) -> Row<'a> {
    Row {
        section,
        key,
        month: String::new(),
        count: match figure {
            Figure::Value(v) => Some(plain_number(v)),
            Figure::Suppressed | Figure::NoData => None,
        },
        suppressed: figure == Figure::Suppressed,
    }
}

/// The cells of a month table, then its per-key totals.
fn table_rows<'a>(section: &'a str, table: &'a CrossTable<YearMonth>, rows: &mut Vec<Row<'a>>) {
    for (c, key) in table.columns.iter().enumerate() {
        for (r, month) in table.rows.iter().enumerate() {
            rows.push(count_row(
                section,
                key,
                month.to_string(),
                table.cells[r][c],
            ));
        }
        rows.push(count_row(
            section,
            key,
            String::new(),
            table.column_totals[c],
        ));
    }
}

/// The lines of a deadline's outcomes, the same for every deadline.
fn outcome_rows<'a>(section: &'a str, outcomes: &DeadlineOutcomes, rows: &mut Vec<Row<'a>>) {
    for (key, cell) in [
        ("due_cases", outcomes.due),
        ("met_cases", outcomes.met),
        ("missed_cases", outcomes.missed),
        ("not_yet_due_cases", outcomes.not_yet_due),
    ] {
        rows.push(count_row(section, key, String::new(), cell));
    }
    rows.push(figure_row(section, "met_percent", outcomes.met_percent));
}

/// The whole report as CSV.
pub(super) fn to_csv(report: &Report) -> String {
    let mut rows: Vec<Row<'_>> = Vec::new();
    rows.push(Row {
        section: "period",
        key: match report.period {
            Period::Year(_) => "year",
            Period::All => "all",
        },
        month: String::new(),
        count: match report.period {
            Period::Year(y) => Some(y.to_string()),
            Period::All => None,
        },
        suppressed: false,
    });
    rows.push(Row {
        section: "settings",
        key: "min_cell_count",
        month: String::new(),
        count: Some(report.rules.min_cell.to_string()),
        suppressed: false,
    });
    for (month, &cell) in report.months().iter().zip(report.month_totals()) {
        rows.push(count_row("month", "", month.to_string(), cell));
    }
    rows.push(count_row(
        "total",
        "",
        String::new(),
        report.by_category.total,
    ));
    table_rows("category", &report.by_category, &mut rows);
    table_rows("severity", &report.by_severity, &mut rows);
    outcome_rows("acknowledgement", &report.acknowledgement, &mut rows);
    let times = &report.time_to_acknowledge;
    rows.push(count_row(
        "acknowledgement",
        "acknowledged_cases",
        String::new(),
        times.answered,
    ));
    rows.push(figure_row(
        "acknowledgement",
        "median_days",
        times.median_days,
    ));
    rows.push(figure_row("acknowledgement", "p90_days", times.p90_days));
    outcome_rows("feedback", &report.feedback, &mut rows);
    let escalations = &report.escalations;
    for (r, authority) in escalations.rows.iter().enumerate() {
        for (c, decision) in escalations.columns.iter().enumerate() {
            rows.push(count_row(
                "escalation",
                authority,
                decision.clone(),
                escalations.cells[r][c],
            ));
        }
        rows.push(count_row(
            "escalation",
            authority,
            String::new(),
            escalations.row_totals[r],
        ));
    }
    for (decision, &cell) in escalations.columns.iter().zip(&escalations.column_totals) {
        rows.push(count_row("escalation", "", decision.clone(), cell));
    }
    rows.push(count_row(
        "escalation",
        "",
        String::new(),
        escalations.total,
    ));
    let mut out = String::from(HEADER);
    out.push_str("\r\n");
    for row in &rows {
        row.write(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::{Authority, Category, DeadlineSettings, Decision, Severity};
    use crate::core::statistics::{CaseFigures, EscalationCount, Rules};
    use time::macros::{date, datetime};

    #[test]
    fn fields_are_quoted_and_never_formulas() {
        assert_eq!(field_of("avvik"), "avvik");
        assert_eq!(field_of("a,b"), "\"a,b\"");
        assert_eq!(field_of("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field_of("=1+1"), "'=1+1");
        assert_eq!(field_of("-3"), "-3");
    }

    #[test]
    fn hidden_counts_are_empty_and_flagged() {
        let day = date!(2025 - 03 - 04)
            .midnight()
            .assume_utc()
            .unix_timestamp();
        // March: 7 avvik, 6 sikkerhet, 1 varsling, all lav.
        let cases: Vec<CaseFigures> = std::iter::repeat_n("avvik", 7)
            .chain(std::iter::repeat_n("sikkerhet", 6))
            .chain(std::iter::once("varsling"))
            .map(|category| CaseFigures {
                category: Category::parse(category).expect("category"),
                severity: Severity::Lav,
                received_at: day,
                acknowledged_at: None,
                feedback_given_at: None,
                feedback_extended_at: None,
                settled_feedback: None,
            })
            .collect();
        // Police: 6 escalated, 2 deferred; NSM: 5 escalated.
        let escalations = [
            ("politi", "escalate", 6),
            ("politi", "defer", 2),
            ("nsm", "escalate", 5),
        ]
        .map(|(authority, decision, count)| EscalationCount {
            authority: Authority::parse(authority).expect("authority"),
            decision: Decision::parse(decision).expect("decision"),
            count,
        });
        let rules = Rules {
            min_cell: 5,
            deadlines: DeadlineSettings::default(),
        };
        let report = Report::compute(
            &cases,
            &escalations,
            Period::Year(2025),
            rules,
            datetime!(2026-01-10 12:00 UTC),
        );
        let csv = to_csv(&report);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], HEADER);
        assert!(csv.ends_with("\r\n"));
        assert!(lines.contains(&"period,year,,2025,false"));
        assert!(lines.contains(&"month,,2025-03,14,false"));
        assert!(lines.contains(&"total,,,14,false"));
        assert!(lines.contains(&"category,varsling,2025-03,,true"));
        assert!(lines.contains(&"category,varsling,,,true"));
        // The complement: the smallest other cell in the row, and (being
        // alone in its column) its column total.
        assert!(lines.contains(&"category,sikkerhet,2025-03,,true"));
        assert!(lines.contains(&"category,sikkerhet,,,true"));
        assert!(lines.contains(&"category,avvik,2025-03,7,false"));
        assert!(lines.contains(&"category,avvik,2025-04,0,false"));
        assert!(lines.contains(&"category,avvik,,7,false"));
        assert!(lines.contains(&"severity,lav,2025-03,14,false"));
        assert!(lines.contains(&"acknowledgement,met_percent,,0,false"));
        // Never acknowledged, no feedback: every deadline has passed.
        assert!(lines.contains(&"feedback,due_cases,,14,false"));
        assert!(lines.contains(&"feedback,met_cases,,0,false"));
        assert!(lines.contains(&"feedback,missed_cases,,14,false"));
        assert!(lines.contains(&"feedback,not_yet_due_cases,,0,false"));
        assert!(lines.contains(&"feedback,met_percent,,0,false"));
        // The 2 deferred are small; the cells and totals that would give
        // them away are hidden, the grand total is not.
        assert!(lines.contains(&"escalation,politi,defer,,true"));
        assert!(lines.contains(&"escalation,politi,escalate,,true"));
        assert!(lines.contains(&"escalation,politi,do_not_escalate,0,false"));
        assert!(lines.contains(&"escalation,politi,,,true"));
        assert!(lines.contains(&"escalation,nsm,escalate,,true"));
        assert!(lines.contains(&"escalation,nsm,,,true"));
        assert!(lines.contains(&"escalation,,escalate,,true"));
        assert!(lines.contains(&"escalation,,defer,,true"));
        assert!(lines.contains(&"escalation,pst,,0,false"));
        assert!(lines.contains(&"escalation,,,13,false"));
        assert!(lines.iter().all(|l| l.split(',').count() == 5));
    }
}
