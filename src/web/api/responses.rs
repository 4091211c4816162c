//! The error responses of the OpenAPI description, named once and listed
//! per operation in the handlers' `#[utoipa::path]` annotations: each is
//! `{"error": {"code", "message", ...}}` ([`ErrorBody`](super::error::ErrorBody)) with one status.
//! (Apart from `openapi.rs`, which lists the handlers, so that the handlers
//! and the description import no cycle.)

use std::collections::BTreeMap;

use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder};

/// Error responses, each `{"error": {"code", "message", ...}}` with one status.
macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal $(, $header:literal => $header_doc:literal)?;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                #[allow(unused_mut)]
                let mut response = ResponseBuilder::new()
                    .description($description)
                    .content("application/json", error_content());
                $(
                    response = response.header(
                        $header,
                        HeaderBuilder::new()
                            .schema(Object::with_type(Type::String))
                            .description(Some($header_doc))
                            .build(),
                    );
                )?
                BTreeMap::from([($status.to_string(), RefOr::T(response.build()))])
            }
        }
    )*};
}

fn error_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build()
}

error_responses! {
    /// 400.
    BadRequest = 400, "The request was refused (a proof of work that is invalid, spent or expired: `pow_refused`); `error.code` says why (see docs/api.md), and `error.field` names the field where there is one. Nothing was stored.";
    /// 401.
    Unauthorized = 401, "No valid bearer token of the right kind (`unauthorized`), or a login that failed (`code_unknown`, `login_failed`; after a right password: `second_factor_required`, `second_factor_failed`, `second_factor_enrolment_required`).",
        "WWW-Authenticate" => "`Bearer realm=\"varsel\"`";
    /// 403.
    Forbidden = 403, "A staff token of an account without the role this needs (`forbidden`).";
    /// 404.
    NotFound = 404, "No such case or attachment, or one not routed to the caller: the two are never told apart (`not_found`).";
    /// 409.
    Conflict = 409, "The case's state does not allow this (`case_closed`, `already_closed`, `not_closed`, `cannot_confirm`, `needs_police_decision`, `feedback_*`), or the identity procedure's (`identity_not_given`, `identity_request_open`, `identity_request_decided`, `identity_not_sealed_to_you`, `identity_own_request`), or a report with this `Idempotency-Key` was filed before (`already_received`; nothing new was stored).";
    /// 408.
    RequestTimeout = 408, "The request body stalled or took too long to arrive (`request_timeout`); the connection is closed.";
    /// 413.
    PayloadTooLarge = 413, "The body or a file is over `error.limit` bytes (`body_too_large`, `attachment_too_large`).";
    /// 415.
    UnsupportedMediaType = 415, "The body is not `application/json` (or `multipart/form-data` where files are sent).";
    /// 422.
    Unprocessable = 422, "With the exclusions or classification given, nobody would receive the case (`no_eligible_handler`, `no_one_left`); or an identity was given where no identity custodian is configured (`identity_unavailable`).";
    /// 429.
    TooManyRequests = 429, "Rate limited (`too_many_requests`), or the hourly budget for anonymous uploads is spent (`upload_budget_spent`).",
        "Retry-After" => "Seconds to wait before retrying.";
    /// 507.
    StorageFull = 507, "The service's storage quota for attachments is reached (`storage_full`). Nothing was stored.";
    /// 500.
    Internal = 500, "The server failed (`internal`); `error.incident` identifies the log entry.";
    /// 503.
    Unavailable = 503, "The service cannot answer for now, for example while its database is unreachable (`unavailable`).",
        "Retry-After" => "Seconds to wait before retrying.";
    /// 422 of a password change.
    PasswordRefused = 422, "The current password is wrong (`wrong_current_password`) or the new one is too short (`password_too_short`). Nothing was changed.";
}
