//! `GET /api/v1/categories` and `GET /api/v1/handlers`: what a reporter
//! chooses from before submitting. Neither needs a token.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::casework;
use crate::core::domain::{CaseStatus, Severity};
use crate::core::i18n::Translator;
use crate::web::api::auth::ApiLang;
use crate::web::api::error::ApiError;
use crate::web::state::AppState;

/// A choice: its stable key and its label in the caller's language.
#[derive(Serialize, ToSchema)]
pub struct Labelled {
    /// Stable key, what requests send.
    pub key: String,
    /// Label in the caller's language.
    pub label: String,
}

/// A category with its sub-types.
#[derive(Serialize, ToSchema)]
pub struct CategoryChoice {
    /// Stable key, what requests send.
    pub key: String,
    /// Label in the caller's language.
    pub label: String,
    /// The category's sub-types (may be empty).
    pub subtypes: Vec<Labelled>,
}

/// What a report is classified by.
#[derive(Serialize, ToSchema)]
pub struct Catalog {
    /// The configured categories.
    pub categories: Vec<CategoryChoice>,
    /// The severities.
    pub severities: Vec<Labelled>,
    /// The case statuses.
    pub statuses: Vec<Labelled>,
}

/// A handler a reporter may exclude.
#[derive(Serialize, ToSchema)]
pub struct ExcludableHandler {
    /// What `exclude` takes.
    pub id: Uuid,
    /// The handler's name.
    pub display_name: String,
}

fn labelled(
    t: Translator,
    area: &str,
    keys: impl IntoIterator<Item = &'static str>,
) -> Vec<Labelled> {
    keys.into_iter()
        .map(|key| Labelled {
            key: key.to_owned(),
            label: t.t(&format!("{area}.{key}")),
        })
        .collect()
}

/// The configured categories with their sub-types, severities and statuses,
/// with labels in the caller's language.
#[utoipa::path(
    get, operation_id = "categories", path = "/api/v1/categories", tag = "public", security(()),
    responses((status = 200, description = "Categories, severities and statuses with labels.", body = Catalog)),
)]
pub async fn categories(state: web::Data<AppState>, ApiLang(lang): ApiLang) -> HttpResponse {
    let t = Translator::new(lang);
    let categories: Vec<CategoryChoice> = state
        .settings
        .taxonomy
        .categories()
        .iter()
        .map(|c| {
            let subtypes = c
                .subtypes
                .iter()
                .map(|s| Labelled {
                    key: s.key.as_str().to_owned(),
                    label: t.subtype_label(&c.key, s),
                })
                .collect();
            CategoryChoice {
                key: c.key.as_str().to_owned(),
                label: t.t(&format!("category.{}", c.key)),
                subtypes,
            }
        })
        .collect();
    HttpResponse::Ok().json(Catalog {
        categories,
        severities: labelled(t, "severity", Severity::ALL.map(Severity::key)),
        statuses: labelled(t, "status", CaseStatus::ALL.map(CaseStatus::key)),
    })
}

/// The handlers a reporter may exclude (conflict of interest).
#[utoipa::path(
    get, operation_id = "handlers", path = "/api/v1/handlers", tag = "public", security(()),
    responses((status = 200, description = "The handlers a reporter may exclude.", body = Vec<ExcludableHandler>)),
)]
pub async fn handlers(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
) -> Result<HttpResponse, ApiError> {
    let handlers = casework::excludable_handlers(&state)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let body: Vec<ExcludableHandler> = handlers
        .into_iter()
        .map(|(id, display_name)| ExcludableHandler { id, display_name })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
