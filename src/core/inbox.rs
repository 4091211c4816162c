//! A staff member's inbox: the cases routed to them, each with its nearest
//! open deadline, one page at a time. The page and the API both parse their
//! query with [`InboxRequest::parse`] and list cases with [`inbox`], so they
//! list cases alike.
//!
//! The inbox never loads a staff member's whole history: a page is one
//! range of one index of `inbox_entries` (migration 0010), found by keyset
//! pagination from an opaque [`Cursor`], and the counts per filter value
//! are grouped counts on covering indexes. Closed cases are left out unless
//! the status filter asks for them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::core::actor::StaffMember;
use crate::core::deadlines::NextDeadline;
use crate::core::domain::{CaseStatus, Category, Deadline, Severity};
use crate::core::error::CoreResult;
use crate::core::service::Core;
pub use crate::core::store::{DeadlineBand, InboxCounts, InboxFilter, RetaliationFilter};
use crate::core::store::{InboxKey, InboxLine, InboxPageQuery, InboxSort, PageSide};

/// One line of a staff inbox. No case content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    /// The case.
    pub case_id: Uuid,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: CaseStatus,
    /// When it was received (UNIX seconds, day granularity).
    pub received_at: i64,
    /// Reporter activity since the user last opened it.
    pub unread: bool,
    /// A retaliation report no staff member has answered yet.
    pub retaliation: bool,
    /// The nearest open deadline of any kind.
    pub next: Option<NextDeadline>,
}

/// How the inbox is ordered; each order is one index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxOrder {
    /// Next deadline, nearest first; cases without one last; then newest
    /// first, then by id, so the order is total.
    #[default]
    Deadline,
    /// Received, newest first, then by id.
    Received,
}

impl InboxOrder {
    /// Every order.
    pub const ALL: [InboxOrder; 2] = [InboxOrder::Received, InboxOrder::Deadline];

    /// The key in a query (`?sort=received`).
    pub fn key(self) -> &'static str {
        match self {
            InboxOrder::Deadline => "deadline",
            InboxOrder::Received => "received",
        }
    }

    /// The order named `key`, if there is one.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.key() == key)
    }

    /// The order a query's `sort` value names: the default if there is none
    /// or it is empty, `None` if it names no order.
    pub fn parse_query(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None | Some("") => Some(InboxOrder::default()),
            Some(key) => Self::parse(key),
        }
    }

    /// Whether the column runs from the most to the least (newest first).
    pub fn descending(self) -> bool {
        matches!(self, InboxOrder::Received)
    }

    fn sort(self) -> InboxSort {
        match self {
            InboxOrder::Deadline => InboxSort::Deadline,
            InboxOrder::Received => InboxSort::Received,
        }
    }
}

/// The key of a deadline band in a query and in the API (`?deadline=`).
pub fn band_key(band: DeadlineBand) -> &'static str {
    match band {
        DeadlineBand::Overdue => "overdue",
        DeadlineBand::DueSoon => "due_soon",
        DeadlineBand::Later => "open",
        DeadlineBand::None => "none",
    }
}

/// The band a key names.
pub fn parse_band(key: &str) -> Option<DeadlineBand> {
    DeadlineBand::ALL.into_iter().find(|b| band_key(*b) == key)
}

/// A position in the inbox, handed to clients as an opaque string: the
/// order it belongs to, which side of the line the next page lies on, and
/// the line's sort key. It grants nothing: a page is always of the caller's
/// own cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    order: InboxOrder,
    side: PageSide,
    key: InboxKey,
}

/// The version tag of the cursor format.
const CURSOR_VERSION: &str = "c2";

impl Cursor {
    /// The opaque text of the cursor (URL-safe).
    pub fn encode(&self) -> String {
        let side = match self.side {
            PageSide::After => "a",
            PageSide::Before => "b",
        };
        let text = format!(
            "{CURSOR_VERSION}.{}.{side}.{}.{}.{}",
            self.order.key(),
            self.key.deadline_sort,
            self.key.received_at,
            self.key.seq
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Parses a cursor made by [`Cursor::encode`]; `None` for anything else.
    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split('.');
        let (version, order, side, deadline, received, id) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if version != CURSOR_VERSION || parts.next().is_some() {
            return None;
        }
        let side = match side {
            "a" => PageSide::After,
            "b" => PageSide::Before,
            _ => return None,
        };
        Some(Cursor {
            order: InboxOrder::parse(order)?,
            side,
            key: InboxKey {
                deadline_sort: deadline.parse().ok()?,
                received_at: received.parse().ok()?,
                seq: id.parse().ok()?,
            },
        })
    }
}

/// Why an inbox query was refused; each names the parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InboxQueryError {
    /// `sort` names no order.
    #[error("unknown sort order")]
    UnknownSort,
    /// A filter (`status`, `category`, `severity`, `deadline`) has a value
    /// it does not know.
    #[error("unknown value of filter {0}")]
    UnknownFilter(&'static str),
    /// `cursor` is not one this service made, or belongs to another order.
    #[error("invalid cursor")]
    BadCursor,
    /// `limit` is not a whole number between 1 and the maximum page size.
    #[error("invalid limit")]
    BadLimit,
}

/// One inbox request: order, filters, position and page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InboxRequest {
    /// The order.
    pub order: InboxOrder,
    /// Which cases.
    pub filter: InboxFilter,
    /// Where the page starts; `None` for the first page.
    pub cursor: Option<Cursor>,
    /// How many lines; `None` for the configured page size.
    pub limit: Option<u32>,
}

/// An empty value is no value (a form's "all" option sends one).
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn filter_value<T>(
    value: Option<&str>,
    name: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, InboxQueryError> {
    present(value)
        .map(|v| parse(v).ok_or(InboxQueryError::UnknownFilter(name)))
        .transpose()
}

impl InboxRequest {
    /// Parses a query's parameters (`sort`, `status`, `category`,
    /// `severity`, `deadline`, `cursor`, `limit`); `get` returns a
    /// parameter's value. Empty values count as absent. `max_limit` is the
    /// largest page size allowed.
    pub fn parse<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
        max_limit: u32,
    ) -> Result<Self, InboxQueryError> {
        let order = InboxOrder::parse_query(get("sort")).ok_or(InboxQueryError::UnknownSort)?;
        let filter = InboxFilter {
            status: filter_value(get("status"), "status", CaseStatus::parse)?,
            category: filter_value(get("category"), "category", Category::parse)?,
            severity: filter_value(get("severity"), "severity", Severity::parse)?,
            deadline: filter_value(get("deadline"), "deadline", parse_band)?,
            retaliation: filter_value(get("retaliation"), "retaliation", RetaliationFilter::parse)?,
        };
        let cursor = match present(get("cursor")) {
            Some(raw) => {
                let cursor = Cursor::decode(raw).ok_or(InboxQueryError::BadCursor)?;
                if cursor.order != order {
                    return Err(InboxQueryError::BadCursor);
                }
                Some(cursor)
            }
            None => None,
        };
        let limit = match present(get("limit")) {
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=max_limit).contains(&n) => Some(n),
                _ => return Err(InboxQueryError::BadLimit),
            },
            None => None,
        };
        Ok(InboxRequest {
            order,
            filter,
            cursor,
            limit,
        })
    }
}

/// One page of the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    /// The lines, in order.
    pub items: Vec<InboxItem>,
    /// The cursor of the page after this one, if there are more lines.
    pub next_cursor: Option<String>,
    /// The cursor of the page before this one, unless this is the first.
    pub prev_cursor: Option<String>,
    /// The page size used.
    pub limit: u32,
    /// How many cases have each filter value.
    pub counts: InboxCounts,
}

fn item_of(line: InboxLine, core: &Core, now: OffsetDateTime) -> InboxItem {
    let settings = &core.settings.deadlines;
    let next = line.next_deadline.and_then(|(at, kind)| {
        let due = OffsetDateTime::from_unix_timestamp(at).ok()?;
        // The state by the one rule that judges every deadline.
        let state = Deadline {
            kind,
            due,
            met: None,
        }
        .state(settings, now);
        Some(NextDeadline { kind, due, state })
    });
    InboxItem {
        case_id: line.case_id,
        category: line.category,
        severity: line.severity,
        status: line.status,
        received_at: line.received_at,
        unread: line.unread,
        retaliation: line.retaliation,
        next,
    }
}

/// The end of the "due soon" window at `now`: a deadline due at or before it
/// is due soon or overdue (as [`Deadline::state`] judges).
fn soon_after(core: &Core, now: OffsetDateTime) -> i64 {
    let hours = i64::from(core.settings.deadlines.due_soon_hours);
    now.saturating_add(Duration::hours(hours)).unix_timestamp()
}

/// One page of the cases routed to a staff member, with the counts per
/// filter value. Reads the page's lines only (and the counts' index
/// ranges), whatever the size of the history.
pub async fn inbox(
    core: &Core,
    staff: &StaffMember,
    request: &InboxRequest,
) -> CoreResult<InboxPage> {
    let settings = &core.settings.inbox;
    let limit = request
        .limit
        .unwrap_or(settings.page_size)
        .clamp(1, settings.max_page_size);
    let now = core.clock.now();
    let (now_s, soon) = (now.unix_timestamp(), soon_after(core, now));
    let from = request.cursor.map(|c| (c.side, c.key));
    let query = InboxPageQuery {
        user_id: staff.user_id,
        sort: request.order.sort(),
        filter: request.filter,
        from,
        limit: limit + 1,
        now: now_s,
        soon,
    };
    // The page and the counts are independent reads: ask for both at once.
    let (mut lines, counts) = tokio::try_join!(
        core.store.inbox_page(&query),
        core.store.inbox_counts(staff.user_id, now_s, soon),
    )?;
    let more = lines.len() > limit as usize;
    lines.truncate(limit as usize);
    let backwards = matches!(from, Some((PageSide::Before, _)));
    if backwards {
        lines.reverse();
    }
    let cursor = |side: PageSide, key: InboxKey| {
        Cursor {
            order: request.order,
            side,
            key,
        }
        .encode()
    };
    let first = lines.first().map(|l| l.key);
    let last = lines.last().map(|l| l.key);
    let (next_cursor, prev_cursor) = match from {
        None => (
            last.filter(|_| more).map(|k| cursor(PageSide::After, k)),
            None,
        ),
        Some((PageSide::After, at)) => (
            last.filter(|_| more).map(|k| cursor(PageSide::After, k)),
            Some(cursor(PageSide::Before, first.unwrap_or(at))),
        ),
        Some((PageSide::Before, at)) => (
            Some(cursor(PageSide::After, last.unwrap_or(at))),
            first.filter(|_| more).map(|k| cursor(PageSide::Before, k)),
        ),
    };
    Ok(InboxPage {
        items: lines
            .into_iter()
            .map(|line| item_of(line, core, now))
            .collect(),
        next_cursor,
        prev_cursor,
        limit,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    #[test]
    fn a_cursor_round_trips_and_anything_else_is_refused() {
        let cursor = Cursor {
            order: InboxOrder::Deadline,
            side: PageSide::Before,
            key: InboxKey {
                deadline_sort: i64::MAX,
                received_at: 1_700_000_000,
                seq: 42,
            },
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "x",
            "!!!!",
            &URL_SAFE_NO_PAD.encode("c1.deadline.a.1.2"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
        let mut tampered = cursor.encode();
        tampered.push('A');
        assert_eq!(Cursor::decode(&tampered), None);
    }

    #[test]
    fn a_query_parses_into_order_filters_cursor_and_limit() {
        let request = InboxRequest::parse(
            params(&[
                ("sort", "received"),
                ("status", "closed"),
                ("category", ""),
                ("severity", "kritisk"),
                ("deadline", "due_soon"),
                ("limit", "20"),
            ]),
            200,
        )
        .expect("valid");
        assert_eq!(request.order, InboxOrder::Received);
        assert_eq!(request.filter.status, Some(CaseStatus::Closed));
        assert_eq!(request.filter.category, None);
        assert_eq!(request.filter.severity, Some(Severity::Kritisk));
        assert_eq!(request.filter.deadline, Some(DeadlineBand::DueSoon));
        assert_eq!(request.limit, Some(20));
        let refused = |pairs: &[(&str, &str)]| InboxRequest::parse(params(pairs), 200).err();
        assert_eq!(
            refused(&[("sort", "colour")]),
            Some(InboxQueryError::UnknownSort)
        );
        assert_eq!(
            refused(&[("status", "done")]),
            Some(InboxQueryError::UnknownFilter("status"))
        );
        assert_eq!(refused(&[("limit", "0")]), Some(InboxQueryError::BadLimit));
        assert_eq!(
            refused(&[("limit", "201")]),
            Some(InboxQueryError::BadLimit)
        );
        assert_eq!(
            refused(&[("cursor", "abc")]),
            Some(InboxQueryError::BadCursor)
        );
        let received = Cursor {
            order: InboxOrder::Received,
            side: PageSide::After,
            key: InboxKey {
                deadline_sort: 1,
                received_at: 1,
                seq: 1,
            },
        }
        .encode();
        assert_eq!(
            refused(&[("cursor", &received)]),
            Some(InboxQueryError::BadCursor),
            "a cursor of another order"
        );
    }
}
