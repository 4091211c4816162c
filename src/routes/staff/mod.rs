//! staff routes.

use actix_web::web;

/// Registers the routes of this area.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
