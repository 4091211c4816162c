//! The inbox, read from `inbox_entries` (migration 0010): one page of a
//! staff member's cases in an indexed order with keyset pagination, and the
//! counts per filter value. Written once for both backends.
//!
//! Every page is one range of one index: the filters are equalities or
//! ranges on the index's leading columns, the position is a keyset
//! condition on its trailing ones, and the order is the index's (or its
//! reverse, for the page before a position). Nothing reads more than the
//! page's lines.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::inbox::{
    DeadlineBand, InboxCounts, InboxFilter, InboxLine, InboxPageQuery, InboxSort, PageSide,
    RetaliationFilter, NO_DEADLINE,
};
use super::model::StoreResult;
use super::rows::inbox::{CountRow, InboxLineRow};
use super::rows::parse::{convert, parse_key};
use crate::core::domain::{CaseStatus, Category, Severity};

/// Reading a staff member's inbox.
#[async_trait::async_trait]
pub trait InboxStore: Send + Sync {
    /// At most `query.limit` lines of the inbox, in the order of
    /// `query.sort` after the position (or, for [`PageSide::Before`], in the
    /// reverse order before it, nearest first).
    async fn inbox_page(&self, query: &InboxPageQuery) -> StoreResult<Vec<InboxLine>>;
    /// How many of `user_id`'s cases have each filter value: every status
    /// (closed included, from a tally kept as cases close), and category, severity and deadline band of the
    /// open cases. `now` and `soon` bound the bands as in [`InboxPageQuery`].
    async fn inbox_counts(&self, user_id: Uuid, now: i64, soon: i64) -> StoreResult<InboxCounts>;
}

/// A bound parameter of a built query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// Builds a query text and its parameters, numbering the placeholders.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Appends `before`, a placeholder for `arg`, and `after`.
    fn bind(&mut self, before: &str, arg: Arg, after: &str) {
        self.args.push(arg);
        self.text
            .push_str(&format!("{before}${}{after}", self.args.len()));
    }

    /// A placeholder for `arg`, for use in a larger fragment.
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
}

/// The `WHERE` conditions of `filter` on the lines of `user_id`.
fn filter_sql(sql: &mut Sql, user_id: Uuid, filter: &InboxFilter, now: i64, soon: i64) {
    sql.bind(" WHERE e.user_id = ", Arg::Text(user_id.to_string()), "");
    match filter.status {
        Some(status) => sql.bind(" AND e.status = ", Arg::Text(status.key().into()), ""),
        None => sql.bind(" AND e.open = ", Arg::Bool(true), ""),
    }
    if let Some(category) = filter.category {
        sql.bind(" AND e.category = ", Arg::Text(category.key().into()), "");
    }
    if let Some(severity) = filter.severity {
        sql.bind(" AND e.severity = ", Arg::Text(severity.key().into()), "");
    }
    if let Some(band) = filter.deadline {
        band_sql(sql, band, now, soon);
    }
    if filter.retaliation.is_some() {
        // Rare, so a probe of each line's case rather than an index.
        sql.push(
            " AND EXISTS (SELECT 1 FROM cases rc WHERE rc.id = e.case_id \
             AND rc.retaliation_reported_at IS NOT NULL AND rc.retaliation_answered_at IS NULL)",
        );
    }
}

/// The condition on `e.deadline_sort` of a deadline band.
fn band_sql(sql: &mut Sql, band: DeadlineBand, now: i64, soon: i64) {
    match band {
        DeadlineBand::Overdue => sql.bind(" AND e.deadline_sort <= ", Arg::Int(now), ""),
        DeadlineBand::DueSoon => {
            sql.bind(" AND e.deadline_sort > ", Arg::Int(now), "");
            sql.bind(" AND e.deadline_sort <= ", Arg::Int(soon), "");
        }
        DeadlineBand::Later => {
            sql.bind(" AND e.deadline_sort > ", Arg::Int(soon), "");
            sql.bind(" AND e.deadline_sort < ", Arg::Int(NO_DEADLINE), "");
        }
        DeadlineBand::None => sql.bind(" AND e.deadline_sort = ", Arg::Int(NO_DEADLINE), ""),
    }
}

/// The `ORDER BY` of a page, on the columns of `alias`.
fn order_sql(sort: InboxSort, backwards: bool, alias: &str) -> String {
    let a = alias;
    match (sort, backwards) {
        (InboxSort::Deadline, false) => {
            format!(" ORDER BY {a}.deadline_sort, {a}.received_at DESC, {a}.seq")
        }
        (InboxSort::Deadline, true) => {
            format!(" ORDER BY {a}.deadline_sort DESC, {a}.received_at, {a}.seq DESC")
        }
        (InboxSort::Received, false) => format!(" ORDER BY {a}.received_at DESC, {a}.seq"),
        (InboxSort::Received, true) => format!(" ORDER BY {a}.received_at, {a}.seq DESC"),
    }
}

/// The whole query of one page (see [`InboxStore::inbox_page`]). The page
/// is taken from `inbox_entries` alone (one index range, then `LIMIT`) and
/// only its lines are joined to their cases, so no planner is tempted to
/// join the whole history first.
fn page_sql(q: &InboxPageQuery) -> Sql {
    let mut sql = Sql::default();
    sql.push(
        "SELECT p.case_id, p.category, p.severity, p.status, p.received_at, p.deadline_sort, p.seq, \
         c.next_deadline_at, c.next_deadline_kind, c.reporter_seq, \
         COALESCE(r.seen_seq, 0) AS seen_seq, \
         c.retaliation_reported_at, c.retaliation_answered_at \
         FROM (SELECT e.user_id, e.case_id, e.category, e.severity, e.status, e.received_at, \
         e.deadline_sort, e.seq FROM inbox_entries e",
    );
    filter_sql(&mut sql, q.user_id, &q.filter, q.now, q.soon);
    let backwards = matches!(q.from, Some((PageSide::Before, _)));
    if let Some((side, key)) = q.from {
        let (d, r, id) = (
            sql.arg(Arg::Int(key.deadline_sort)),
            sql.arg(Arg::Int(key.received_at)),
            sql.arg(Arg::Int(key.seq)),
        );
        // The first condition bounds the index range; the second is the
        // exact position within it.
        let condition = match (q.sort, side) {
            (InboxSort::Deadline, PageSide::After) => format!(
                " AND e.deadline_sort >= {d} AND (e.deadline_sort > {d} OR e.received_at < {r} \
                 OR (e.received_at = {r} AND e.seq > {id}))"
            ),
            (InboxSort::Deadline, PageSide::Before) => format!(
                " AND e.deadline_sort <= {d} AND (e.deadline_sort < {d} OR e.received_at > {r} \
                 OR (e.received_at = {r} AND e.seq < {id}))"
            ),
            (InboxSort::Received, PageSide::After) => {
                format!(" AND e.received_at <= {r} AND (e.received_at < {r} OR e.seq > {id})")
            }
            (InboxSort::Received, PageSide::Before) => {
                format!(" AND e.received_at >= {r} AND (e.received_at > {r} OR e.seq < {id})")
            }
        };
        sql.push(&condition);
    }
    sql.push(&order_sql(q.sort, backwards, "e"));
    sql.bind(" LIMIT ", Arg::Int(i64::from(q.limit)), "");
    sql.push(
        ") p JOIN cases c ON c.id = p.case_id \
         LEFT JOIN case_reads r ON r.case_id = p.case_id AND r.user_id = p.user_id",
    );
    sql.push(&order_sql(q.sort, backwards, "p"));
    sql
}

/// The count of each value of `column` among the open lines of `user_id`.
fn grouped_sql(column: &str) -> String {
    format!(
        "SELECT e.{column} AS value, COUNT(*) AS n FROM inbox_entries e \
         WHERE e.user_id = $1 AND e.open = $2 GROUP BY e.{column}"
    )
}

/// The count of the open lines of `user_id` in each deadline band; binds
/// the user, `TRUE`, `now`, `soon` and [`NO_DEADLINE`].
const BANDS_SQL: &str = "SELECT \
     (SELECT COUNT(*) FROM inbox_entries e WHERE e.user_id = $1 AND e.open = $2 \
      AND e.deadline_sort <= $3) AS overdue, \
     (SELECT COUNT(*) FROM inbox_entries e WHERE e.user_id = $1 AND e.open = $2 \
      AND e.deadline_sort > $3 AND e.deadline_sort <= $4) AS due_soon, \
     (SELECT COUNT(*) FROM inbox_entries e WHERE e.user_id = $1 AND e.open = $2 \
      AND e.deadline_sort > $4 AND e.deadline_sort < $5) AS later, \
     (SELECT COUNT(*) FROM inbox_entries e WHERE e.user_id = $1 AND e.open = $2 \
      AND e.deadline_sort = $5) AS none";

/// The count of the open lines of `user_id` whose case has an unanswered
/// retaliation report; binds the user and `TRUE`.
const RETALIATION_SQL: &str =
    "SELECT COUNT(*) FROM inbox_entries e JOIN cases c ON c.id = e.case_id \
     WHERE e.user_id = $1 AND e.open = $2 \
     AND c.retaliation_reported_at IS NOT NULL AND c.retaliation_answered_at IS NULL";

/// The count per open status, each status a range of `inbox_by_status`
/// (the closed ones are counted in `inbox_tallies`).
const STATUS_SQL: &str = "SELECT e.status AS value, COUNT(*) AS n FROM inbox_entries e \
     WHERE e.user_id = $1 AND e.status IN ($2, $3, $4, $5) GROUP BY e.status";

/// The open statuses.
const OPEN_STATUSES: [CaseStatus; 4] = [
    CaseStatus::Received,
    CaseStatus::Acknowledged,
    CaseStatus::UnderInvestigation,
    CaseStatus::FeedbackGiven,
];

/// `(value, count)` for every value of `all`, zero where no row counted it.
fn counted<T: Copy + PartialEq>(
    all: &[T],
    rows: Vec<CountRow>,
    column: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> StoreResult<Vec<(T, i64)>> {
    let mut out: Vec<(T, i64)> = all.iter().map(|v| (*v, 0)).collect();
    for row in rows {
        let value = parse_key(column, &row.value, &parse)?;
        if let Some(slot) = out.iter_mut().find(|(v, _)| *v == value) {
            slot.1 = row.n;
        }
    }
    Ok(out)
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! inbox_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            async fn grouped(&self, column: &str, user_id: Uuid) -> StoreResult<Vec<CountRow>> {
                Ok(sqlx::query_as::<_, CountRow>(&grouped_sql(column))
                    .bind(user_id.to_string())
                    .bind(true)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }

        #[async_trait::async_trait]
        impl InboxStore for $store {
            async fn inbox_page(&self, q: &InboxPageQuery) -> StoreResult<Vec<InboxLine>> {
                let sql = page_sql(q);
                let mut query = sqlx::query_as::<_, InboxLineRow>(&sql.text);
                for arg in sql.args {
                    query = match arg {
                        Arg::Text(s) => query.bind(s),
                        Arg::Int(n) => query.bind(n),
                        Arg::Bool(b) => query.bind(b),
                    };
                }
                convert(query.fetch_all(&self.pool).await?)
            }

            async fn inbox_counts(
                &self,
                user_id: Uuid,
                now: i64,
                soon: i64,
            ) -> StoreResult<InboxCounts> {
                let mut status =
                    sqlx::query_as::<_, CountRow>(STATUS_SQL).bind(user_id.to_string());
                for s in OPEN_STATUSES {
                    status = status.bind(s.key());
                }
                let mut status = status.fetch_all(&self.pool).await?;
                let closed: Option<(i64,)> =
                    sqlx::query_as("SELECT closed FROM inbox_tallies WHERE user_id = $1")
                        .bind(user_id.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                status.push(CountRow {
                    value: CaseStatus::Closed.key().to_owned(),
                    n: closed.map_or(0, |(n,)| n),
                });
                let category = self.grouped("category", user_id).await?;
                let severity = self.grouped("severity", user_id).await?;
                let (overdue, due_soon, later, none): (i64, i64, i64, i64) =
                    sqlx::query_as(BANDS_SQL)
                        .bind(user_id.to_string())
                        .bind(true)
                        .bind(now)
                        .bind(soon)
                        .bind(NO_DEADLINE)
                        .fetch_one(&self.pool)
                        .await?;
                let (retaliation,): (i64,) = sqlx::query_as(RETALIATION_SQL)
                    .bind(user_id.to_string())
                    .bind(true)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(InboxCounts {
                    status: counted(&CaseStatus::ALL, status, "status", CaseStatus::parse)?,
                    category: counted(&Category::ALL, category, "category", Category::parse)?,
                    severity: counted(&Severity::ALL, severity, "severity", Severity::parse)?,
                    deadline: vec![
                        (DeadlineBand::Overdue, overdue),
                        (DeadlineBand::DueSoon, due_soon),
                        (DeadlineBand::Later, later),
                        (DeadlineBand::None, none),
                    ],
                    retaliation: vec![(RetaliationFilter::Unanswered, retaliation)],
                })
            }
        }
    };
}

for_each_backend!(inbox_store);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::store::model::inbox::InboxKey;

    fn query(from: Option<(PageSide, InboxKey)>, sort: InboxSort) -> InboxPageQuery {
        InboxPageQuery {
            user_id: Uuid::nil(),
            sort,
            filter: InboxFilter {
                category: Some(Category::Avvik),
                deadline: Some(DeadlineBand::DueSoon),
                ..InboxFilter::default()
            },
            from,
            limit: 51,
            now: 10,
            soon: 20,
        }
    }

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let key = InboxKey {
            deadline_sort: 5,
            received_at: 3,
            seq: 7,
        };
        let sql = page_sql(&query(Some((PageSide::After, key)), InboxSort::Deadline));
        assert_eq!(sql.args.len(), 9);
        assert!(sql
            .text
            .contains("e.user_id = $1 AND e.open = $2 AND e.category = $3"));
        assert!(sql
            .text
            .contains("e.deadline_sort > $4 AND e.deadline_sort <= $5"));
        assert!(sql.text.contains("e.deadline_sort >= $6"));
        assert!(sql.text.contains("e.seq > $8"));
        assert!(sql.text.contains("LIMIT $9) p JOIN cases"));
        let back = page_sql(&query(Some((PageSide::Before, key)), InboxSort::Received));
        assert!(back
            .text
            .contains("ORDER BY e.received_at, e.seq DESC LIMIT"));
        assert!(back.text.ends_with("ORDER BY p.received_at, p.seq DESC"));
        let first = page_sql(&query(None, InboxSort::Deadline));
        assert!(first.text.contains("e.seq LIMIT $6)"));
    }
}
