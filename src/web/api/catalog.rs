//! `GET /api/v1/categories` and `GET /api/v1/handlers`: what a reporter
//! chooses from before submitting. Neither needs a token.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::core::casework;
use crate::core::domain::{CaseStatus, Severity};
use crate::core::i18n::Translator;
use crate::web::api::auth::ApiLang;
use crate::web::api::error::ApiError;
use crate::web::state::AppState;

fn labelled(t: Translator, area: &str, keys: impl IntoIterator<Item = &'static str>) -> Value {
    keys.into_iter()
        .map(|key| json!({ "key": key, "label": t.t(&format!("{area}.{key}")) }))
        .collect()
}

/// The configured categories with their sub-types, severities and statuses,
/// with labels in the caller's language.
pub async fn categories(state: web::Data<AppState>, ApiLang(lang): ApiLang) -> HttpResponse {
    let t = Translator::new(lang);
    let categories: Vec<Value> = state
        .settings
        .taxonomy
        .categories()
        .iter()
        .map(|c| {
            let subtypes: Vec<Value> = c
                .subtypes
                .iter()
                .map(|s| json!({ "key": s.key.as_str(), "label": t.subtype_label(&c.key, s) }))
                .collect();
            json!({
                "key": c.key.as_str(),
                "label": t.t(&format!("category.{}", c.key)),
                "subtypes": subtypes,
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "categories": categories,
        "severities": labelled(t, "severity", Severity::ALL.map(Severity::key)),
        "statuses": labelled(t, "status", CaseStatus::ALL.map(CaseStatus::key)),
    }))
}

/// The handlers a reporter may exclude (conflict of interest).
pub async fn handlers(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
) -> Result<HttpResponse, ApiError> {
    let handlers = casework::excludable_handlers(&state)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let body: Vec<Value> = handlers
        .into_iter()
        .map(|(id, name)| json!({ "id": id, "display_name": name }))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
