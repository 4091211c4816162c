//! `GET /api/v1/categories` and `GET /api/v1/handlers`: what a reporter
//! chooses from before submitting. Neither needs a token.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::casework;
use crate::domain::{CaseStatus, Category, Severity};
use crate::i18n::Translator;
use crate::routes::api::auth::ApiLang;
use crate::routes::api::error::ApiError;
use crate::state::AppState;

fn labelled(t: Translator, area: &str, keys: impl IntoIterator<Item = &'static str>) -> Value {
    keys.into_iter()
        .map(|key| json!({ "key": key, "label": t.t(&format!("{area}.{key}")) }))
        .collect()
}

/// Categories, severities and statuses with labels in the caller's language.
pub async fn categories(ApiLang(lang): ApiLang) -> HttpResponse {
    let t = Translator::new(lang);
    HttpResponse::Ok().json(json!({
        "categories": labelled(t, "category", Category::ALL.map(Category::key)),
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
        .map_err(|e| ApiError::casework(lang, e, 0))?;
    let body: Vec<Value> = handlers
        .into_iter()
        .map(|(id, name)| json!({ "id": id, "display_name": name }))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
