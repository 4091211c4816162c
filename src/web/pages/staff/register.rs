//! The escalation register (SPEC §4), for contact points only: every recorded
//! decision with its authority, decision, legal basis, dates, the contact
//! points and the authority's reference — never the rationale, which stays
//! sealed in the case. `GET /contact/register` shows it, filtered by the
//! query string (`authority`, `decision`, `legal_basis`, `year`);
//! `GET /contact/register.csv` gives the same rows as CSV.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{render, show_moment, StaffError, StaffNav, StaffResult};
use crate::core::actor::StaffMember;
use crate::core::authz::Permission;
use crate::core::domain::{Authority, Decision, LegalBasis};
use crate::core::error::CoreError;
use crate::core::escalation::{self, RegisterFilter};
use crate::core::i18n::Translator;
use crate::core::store::RegisterEntry;
use crate::web::http::{ErrorKind, Visitor};
use crate::web::pages::statistics::csv::field_of;
use crate::web::state::AppState;

/// The CSV header line.
const HEADER: &str = "case,authority,decision,legal_basis,aware_at,decided_at,notified_at,\
decided_by,confirmed_by,authority_reference";

/// The filter as submitted (empty: no filter).
#[derive(Deserialize, Default)]
pub(super) struct RegisterQuery {
    #[serde(default)]
    authority: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    year: String,
}

/// Parses one optional keyed filter value.
fn optional<T>(raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ()> {
    match raw.trim() {
        "" => Ok(None),
        s => parse(s).map(Some).ok_or(()),
    }
}

impl RegisterQuery {
    fn filter(&self) -> Result<RegisterFilter, ()> {
        Ok(RegisterFilter {
            authority: optional(&self.authority, Authority::parse)?,
            decision: optional(&self.decision, Decision::parse)?,
            legal_basis: optional(&self.legal_basis, LegalBasis::parse)?,
            year: optional(&self.year, |s| {
                s.parse::<i32>().ok().filter(|y| (1900..=9999).contains(y))
            })?,
        })
    }
}

/// The query string that asks for filter `f`.
fn query_string(f: &RegisterFilter) -> String {
    let mut parts = Vec::new();
    if let Some(a) = f.authority {
        parts.push(format!("authority={}", a.key()));
    }
    if let Some(d) = f.decision {
        parts.push(format!("decision={}", d.key()));
    }
    if let Some(b) = f.legal_basis {
        parts.push(format!("legal_basis={}", b.key()));
    }
    if let Some(y) = f.year {
        parts.push(format!("year={y}"));
    }
    parts.join("&")
}

/// The staff session of a contact point; no session: the login page; others: 403.
fn contact_point(visitor: &Visitor) -> Result<&StaffMember, StaffError> {
    super::permitted(visitor, Permission::ReadRegister)
}

/// The filtered register, or an error page.
async fn load(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    query: &RegisterQuery,
) -> Result<(RegisterFilter, Vec<RegisterEntry>), StaffError> {
    let filter = query
        .filter()
        .map_err(|()| StaffError::from(visitor.error(ErrorKind::BadRequest)))?;
    match escalation::register(state, staff, &filter).await {
        Ok(entries) => Ok((filter, entries)),
        Err(CoreError::Forbidden) => Err(visitor.error(ErrorKind::Forbidden).into()),
        Err(e) => Err(visitor.internal(e).into()),
    }
}

/// One choice of a filter list.
struct Choice {
    key: &'static str,
    label: String,
    selected: bool,
}

/// One line of the register.
struct Row {
    case_ref: String,
    case_href: String,
    authority: String,
    decision: String,
    legal_basis: String,
    aware: String,
    decided: String,
    notified: Option<String>,
    decided_by: String,
    confirmed_by: Option<String>,
    reference: Option<String>,
}

/// The register page.
#[derive(Template)]
#[template(path = "contact/register.html")]
struct RegisterPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    authorities: Vec<Choice>,
    decisions: Vec<Choice>,
    legal_bases: Vec<Choice>,
    year: String,
    csv_href: String,
    rows: Vec<Row>,
}

/// GET /contact/register
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<RegisterQuery>,
) -> StaffResult {
    let staff = contact_point(&visitor)?;
    let (filter, entries) = load(&state, &visitor, staff, &query).await?;
    let t = visitor.t();
    let qs = query_string(&filter);
    let page = RegisterPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, false),
        authorities: Authority::ALL
            .iter()
            .map(|a| Choice {
                key: a.key(),
                label: t.t(&a.label_key()),
                selected: filter.authority == Some(*a),
            })
            .collect(),
        decisions: Decision::ALL
            .iter()
            .map(|d| Choice {
                key: d.key(),
                label: t.t(&d.label_key()),
                selected: filter.decision == Some(*d),
            })
            .collect(),
        legal_bases: LegalBasis::ALL
            .iter()
            .map(|b| Choice {
                key: b.key(),
                label: t.t(&b.label_key()),
                selected: filter.legal_basis == Some(*b),
            })
            .collect(),
        year: filter.year.map(|y| y.to_string()).unwrap_or_default(),
        csv_href: if qs.is_empty() {
            "/contact/register.csv".to_owned()
        } else {
            format!("/contact/register.csv?{qs}")
        },
        rows: entries
            .iter()
            .map(|e| {
                let r = &e.record;
                Row {
                    case_ref: super::reference(r.case_id),
                    case_href: format!("/staff/cases/{}", r.case_id),
                    authority: t.t(&r.authority.label_key()),
                    decision: t.t(&r.decision.label_key()),
                    legal_basis: t.t(&r.legal_basis.label_key()),
                    aware: show_moment(r.aware_at),
                    decided: show_moment(r.decided_at),
                    notified: r.notified_at.map(show_moment),
                    decided_by: e.decided_by_name.clone(),
                    confirmed_by: e.confirmed_by_name.clone(),
                    reference: r.authority_reference.clone(),
                }
            })
            .collect(),
    };
    render(&visitor, &page, StatusCode::OK)
}

/// A UNIX time in RFC 3339 (UTC), for the CSV.
fn iso(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The register as CSV (RFC 4180): stable keys, RFC 3339 times.
fn to_csv(entries: &[RegisterEntry]) -> String {
    let mut out = String::from(HEADER);
    out.push_str("\r\n");
    for e in entries {
        let r = &e.record;
        let fields = [
            super::reference(r.case_id),
            r.authority.key().to_owned(),
            r.decision.key().to_owned(),
            r.legal_basis.key().to_owned(),
            iso(r.aware_at),
            iso(r.decided_at),
            r.notified_at.map(iso).unwrap_or_default(),
            e.decided_by_name.clone(),
            e.confirmed_by_name.clone().unwrap_or_default(),
            r.authority_reference.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| field_of(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// GET /contact/register.csv
pub(super) async fn download(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<RegisterQuery>,
) -> StaffResult {
    let staff = contact_point(&visitor)?;
    let (_, entries) = load(&state, &visitor, staff, &query).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"varsel-escalation-register.csv\"",
        ))
        .body(to_csv(&entries)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_refuse_nonsense() {
        let q = RegisterQuery {
            authority: "politi".into(),
            year: "2026".into(),
            ..RegisterQuery::default()
        };
        let f = q.filter().unwrap_or_default();
        assert_eq!(f.authority, Some(Authority::Politi));
        assert_eq!(f.year, Some(2026));
        assert_eq!(query_string(&f), "authority=politi&year=2026");
        let bad = RegisterQuery {
            decision: "maybe".into(),
            ..RegisterQuery::default()
        };
        assert!(bad.filter().is_err());
    }
}
