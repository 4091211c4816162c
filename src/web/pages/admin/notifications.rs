//! `GET /admin/notifications`: the e-mail notifications not delivered yet —
//! pending, retrying and failed — with counts by state. Shows the recipient's
//! display name, never an address, and never which case a notification is
//! about.

use actix_web::web;
use askama::Template;
use time::OffsetDateTime;

use super::{admin, render};
use crate::core::i18n::Translator;
use crate::core::store::{DeliveryState, OutboxEntry};
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffNav, StaffResult};
use crate::web::state::AppState;

/// One undelivered notification.
struct Row {
    recipient: String,
    kind: String,
    state: String,
    failed: bool,
    attempts: i64,
    last_error: String,
    created: String,
    next: String,
}

/// A count by state.
struct Count {
    label: String,
    key: &'static str,
    value: i64,
}

/// The page.
#[derive(Template)]
#[template(path = "admin/notifications.html")]
struct NotificationsPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    counts: Vec<Count>,
    rows: Vec<Row>,
    /// Whether e-mail notifications are switched on (`notifications.enabled`).
    enabled: bool,
}

/// A UNIX time as `dd.mm.yyyy hh:mm` in Oslo, with its zone.
fn show_time(t: &Translator, at: i64) -> String {
    if OffsetDateTime::from_unix_timestamp(at).is_err() {
        return t.t("admin.notifications.never");
    }
    let time = crate::web::pages::staff::show_exact(at);
    t.f("admin.notifications.time_utc", &[("time", &time)])
}

fn row(t: &Translator, entry: &OutboxEntry) -> Row {
    let next = match entry.state {
        DeliveryState::Failed => entry.failed_at.map(|at| show_time(t, at)),
        _ => Some(show_time(t, entry.next_attempt_at)),
    };
    Row {
        recipient: entry.display_name.clone(),
        kind: t.t(&format!("admin.notifications.kind.{}", entry.kind.key())),
        state: t.t(&format!("admin.notifications.state.{}", entry.state.key())),
        failed: entry.state == DeliveryState::Failed,
        attempts: entry.attempts,
        last_error: entry
            .last_error
            .clone()
            .unwrap_or_else(|| t.t("admin.notifications.never")),
        created: show_time(t, entry.created_at),
        next: next.unwrap_or_else(|| t.t("admin.notifications.never")),
    }
}

/// GET /admin/notifications
pub(super) async fn page(state: web::Data<AppState>, visitor: Visitor) -> StaffResult {
    let staff = admin(&visitor)?;
    let t = visitor.t();
    let outbox = state
        .store
        .notification_outbox()
        .await
        .map_err(|e| visitor.internal(e))?;
    let c = state
        .store
        .notification_counts()
        .await
        .map_err(|e| visitor.internal(e))?;
    let counts = [
        ("pending", c.pending),
        ("retrying", c.retrying),
        ("failed", c.failed),
        ("sent", c.sent),
    ]
    .into_iter()
    .map(|(key, value)| Count {
        label: t.t(&format!("admin.notifications.count.{key}")),
        key,
        value,
    })
    .collect();
    let page = NotificationsPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        counts,
        rows: outbox.iter().map(|e| row(&t, e)).collect(),
        enabled: state.settings.notifications.enabled,
    };
    render(&visitor, &page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::i18n::Lang;

    #[test]
    fn times_are_shown_in_oslo_to_the_minute() {
        let t = Translator::new(Lang::En);
        assert_eq!(show_time(&t, 86_400 * 365 + 3_660), "01.01.1971 02:01 CET");
    }
}
