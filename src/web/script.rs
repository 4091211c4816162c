//! The browser script (`src/web/script/`, built by `build.rs`): where
//! JavaScript runs, the reporter's browser encrypts before it sends. Served
//! from this origin at [`PATH`] with a Subresource Integrity hash under the
//! CSP `script-src 'self'`. A build without Node.js and npm has no bundle:
//! [`bundle`] is `None`, the route answers 404, and every report is encrypted
//! on the server at receipt.

use actix_web::HttpResponse;

use crate::web::http::{AppError, ErrorKind, Visitor};

/// Where the bundle is served.
pub const PATH: &str = "/static/varsel-e2e.js";

/// The built bundle and its integrity string.
#[derive(Debug, Clone, Copy)]
pub struct Bundle {
    /// The minified script.
    pub bytes: &'static [u8],
    /// `sha384-<base64>` of [`Bundle::bytes`], for the `integrity` attribute.
    pub integrity: &'static str,
}

#[cfg(varsel_script)]
const BUILT: Option<Bundle> = Some(Bundle {
    bytes: include_bytes!(concat!(env!("OUT_DIR"), "/varsel-e2e.js")),
    integrity: include_str!(concat!(env!("OUT_DIR"), "/varsel-e2e.js.sri")),
});

#[cfg(not(varsel_script))]
const BUILT: Option<Bundle> = None;

/// The bundle, if this binary was built with it.
pub fn bundle() -> Option<Bundle> {
    BUILT
}

/// The `<script>` element that loads the bundle, or `None` without one:
/// same origin, integrity-checked, deferred. Its text needs no escaping
/// (a fixed path and a base64 digest).
pub fn script_tag() -> Option<String> {
    bundle().map(|b| {
        format!(
            "<script src=\"{PATH}\" integrity=\"{}\" crossorigin=\"anonymous\" defer></script>",
            b.integrity
        )
    })
}

/// `GET /static/varsel-e2e.js`: the bundle, or the usual "not found" page
/// when it was not built.
pub async fn serve(visitor: Visitor) -> Result<HttpResponse, AppError> {
    let b = bundle().ok_or_else(|| visitor.error(ErrorKind::NotFound))?;
    Ok(HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(b.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_and_the_bundle_agree() {
        match bundle() {
            Some(b) => {
                assert!(b.integrity.starts_with("sha384-"));
                assert_eq!(b.integrity.len(), "sha384-".len() + 64);
                let tag = script_tag().unwrap_or_default();
                assert!(tag.contains(b.integrity), "{tag}");
                assert!(tag.contains("src=\"/static/varsel-e2e.js\""), "{tag}");
                assert!(tag.contains("crossorigin=\"anonymous\" defer"), "{tag}");
            }
            None => assert!(script_tag().is_none()),
        }
    }
}
