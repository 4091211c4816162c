//! The API contract (`GET /api/v1/openapi.json`) and the defects the
//! contract test (`scripts/schemathesis.sh`) found, each on both backends:
//! multipart bodies that made the server drop the connection, the register
//! refusing `?lang=`, and 405 answers without `Allow`.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::app::{Backend, TestApp};
use crate::for_each_backend;

for_each_backend!(
    the_description_is_served_and_names_this_servers_vocabulary,
    a_multipart_body_without_a_boundary_is_refused_not_dropped,
    an_empty_named_file_is_refused_not_dropped,
    the_register_takes_the_language_parameter,
    method_not_allowed_names_the_allowed_methods,
);

async fn the_description_is_served_and_names_this_servers_vocabulary(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app
        .api_get("/openapi.json", None)
        .await
        .expect(StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["paths"]["/api/v1/reports"]["post"].is_object());
    // The categories a report may name are this server's.
    let catalog = app
        .api_get("/categories", None)
        .await
        .expect(StatusCode::OK);
    let keys: Vec<_> = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].clone())
        .collect();
    assert_eq!(
        doc["components"]["schemas"]["ReportRequest"]["properties"]["category"]["enum"],
        json!(keys)
    );
}

async fn a_multipart_body_without_a_boundary_is_refused_not_dropped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app
        .report(&json!({"category": "avvik", "severity": "lav", "description": "x"}))
        .await;
    let reporter = app.reporter_token(&code).await;
    for (path, token) in [
        ("/reports", None),
        ("/reporter/case/attachments", Some(reporter.as_str())),
    ] {
        let request = app
            .api_request(Method::POST, path, token)
            .header("Content-Type", "multipart/form-data");
        app.api_send(request)
            .await
            .expect_error(StatusCode::BAD_REQUEST, "malformed_multipart");
    }
}

async fn an_empty_named_file_is_refused_not_dropped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let report = json!({"category": "avvik", "severity": "lav", "description": "x"});
    let form = Form::new()
        .text("report", report.to_string())
        .part("attachment", Part::bytes(Vec::new()).file_name("empty.txt"));
    app.api_upload("/reports", None, form)
        .await
        .expect_error(StatusCode::BAD_REQUEST, "empty_attachment");
    assert!(
        app.attachment_files().is_empty(),
        "no file, not even a partial one"
    );
}

async fn the_register_takes_the_language_parameter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let token = app.staff_token("kari").await;
    let entries = app
        .api_register(&token, "?lang=en&year=2026")
        .await
        .expect(StatusCode::OK);
    assert_eq!(entries, json!([]));
    // Other unknown parameters are still refused, in the language asked for.
    let error = app
        .api_register(&token, "?lang=en&colour=red")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_filter");
    assert!(
        error["message"].as_str().unwrap().starts_with("Unknown"),
        "{error}"
    );
}

async fn method_not_allowed_names_the_allowed_methods(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let case = Uuid::new_v4();
    for (method, path, allow) in [
        (Method::PUT, "/reports".to_owned(), "POST"),
        (Method::PATCH, "/categories".to_owned(), "GET, HEAD"),
        (
            Method::DELETE,
            format!("/staff/cases/{case}/escalation"),
            "GET, HEAD, POST",
        ),
        (Method::GET, "/reporter/session".to_owned(), "POST, DELETE"),
    ] {
        let response = app.api_send(app.api_request(method, &path, None)).await;
        response.expect_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        assert_eq!(response.headers["allow"], allow, "{path}");
    }
}
