//! The operator's deployment pieces under deploy/, exercised for real: the
//! PostgreSQL least-privilege roles (deploy/postgres/roles.sql and
//! append-only-audit.sql, run with psql exactly as documented), the service
//! running as the role that cannot change the schema, and the container
//! health check command.
//!
//! The role scripts are PostgreSQL's by nature (SQLite has no roles); the
//! health check runs on both backends.

use reqwest::StatusCode;
use serde_json::json;

use crate::app::{Backend, ServedBinary, TestDatabase};
use crate::for_each_backend;

/// Runs psql on `url` with `-v` variables and one script of deploy/postgres;
/// it must succeed.
fn psql(url: &str, vars: &[(&str, &str)], script: &str) {
    let path = format!("{}/deploy/postgres/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut command = std::process::Command::new("psql");
    command.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", &path]);
    for (name, value) in vars {
        command.args(["-v", &format!("{name}={value}")]);
    }
    let out = command
        .output()
        .expect("psql runs (apt-get install postgresql-client)");
    assert!(
        out.status.success(),
        "psql -f {script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `url` with `role` (and a password, which trust authentication ignores
/// here but a real server checks) as its user.
fn as_role(url: &str, role: &str) -> String {
    let rest = url.strip_prefix("postgres://").expect("a postgres:// URL");
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("postgres://{role}:pw@{host}")
}

async fn refused(url: &str, sql: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    let err = sqlx::query(sql)
        .execute(&mut conn)
        .await
        .expect_err("the app role may not do this");
    let _ = conn.close().await;
    err.to_string()
}

async fn drop_roles(roles: &[&str]) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&crate::helpers::postgres_admin_url())
        .await
        .expect("connect as the administrator");
    for role in roles {
        // Generated names (hex), not input.
        let _ = sqlx::query(&format!("DROP ROLE IF EXISTS {role}"))
            .execute(&mut admin)
            .await;
    }
    let _ = admin.close().await;
}

/// The documented PostgreSQL set-up: roles.sql as the administrator, `varsel
/// migrate` as the owner, append-only-audit.sql as the owner, then `varsel
/// serve` (and the other commands) as the app role with
/// `database.migrate_on_start = false`. A reporter files a case and a
/// handler reads and answers it; the app role cannot create a table, nor
/// change or delete an audit entry, and the chain still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_runs_as_a_role_that_cannot_change_the_schema_or_the_audit_log() {
    let db = TestDatabase::bare_postgres().await;
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let owner = format!("varsel_owner_{suffix}");
    let app_role = format!("varsel_app_{suffix}");
    psql(
        &db.url,
        &[
            ("owner", &owner),
            ("app", &app_role),
            ("owner_password", "owner pass"),
            ("app_password", "app pass"),
        ],
        "roles.sql",
    );
    let owner_url = as_role(&db.url, &owner);
    let app_url = as_role(&db.url, &app_role);

    // The app role alone cannot migrate: the schema is the owner's.
    let data_dir = db.data_dir.path().display().to_string();
    let run = |url: &str, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_varsel"))
            .args(args)
            .env("VARSEL_DATABASE__URL", url)
            .env("VARSEL_STORAGE__DATA_DIR", &data_dir)
            .env("VARSEL_LOG", "warn")
            .output()
            .expect("run varsel")
    };
    let denied = run(&app_url, &["migrate"]);
    assert!(
        !denied.status.success(),
        "the app role cannot create tables"
    );
    // Nor does the service start on a schema it does not expect: it says
    // what to do instead of failing request by request.
    let early = std::process::Command::new(env!("CARGO_BIN_EXE_varsel"))
        .arg("serve")
        .env("VARSEL_DATABASE__URL", &app_url)
        .env("VARSEL_DATABASE__MIGRATE_ON_START", "false")
        .env("VARSEL_STORAGE__DATA_DIR", &data_dir)
        .env("VARSEL_SERVER__PORT", "0")
        .env("VARSEL_LOG", "warn")
        .output()
        .expect("run varsel serve");
    assert!(
        !early.status.success(),
        "no serving on an unmigrated database"
    );
    let said = String::from_utf8_lossy(&early.stderr);
    assert!(said.contains("run `varsel migrate`"), "{said}");
    let migrated = run(&owner_url, &["migrate"]);
    assert!(
        migrated.status.success(),
        "varsel migrate as the owner: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    psql(&owner_url, &[("app", &app_role)], "append-only-audit.sql");

    let server = ServedBinary::start_on(
        db,
        &[
            ("VARSEL_DATABASE__URL", &app_url),
            ("VARSEL_DATABASE__MIGRATE_ON_START", "false"),
        ],
    )
    .await;
    server.add_user("hanne", Some("Hanne Handler"), "handler");
    let code = server
        .report(&json!({
            "category": "varsling",
            "severity": "middels",
            "description": "Innkjøp uten anbud i avdeling nord.",
        }))
        .await;
    assert!(!code.is_empty());
    let staff = server.staff_token("hanne").await;
    let inbox = server.api_inbox(&staff).await;
    let id = inbox[0]["id"].as_str().expect("a case id").to_owned();
    let case = server.api_case(&staff, &id).await.expect(StatusCode::OK);
    assert_eq!(
        case["report"]["description"],
        "Innkjøp uten anbud i avdeling nord."
    );
    server
        .api_reply(&staff, &id, "Takk, vi ser på det.")
        .await
        .expect(StatusCode::CREATED);

    let create = refused(&app_url, "CREATE TABLE intruder (x integer)").await;
    assert!(create.contains("permission denied"), "{create}");
    let delete = refused(&app_url, "DELETE FROM audit_log").await;
    assert!(delete.contains("permission denied"), "{delete}");
    let update = refused(&app_url, "UPDATE audit_log SET action = 'x'").await;
    assert!(update.contains("permission denied"), "{update}");
    let verify = server.command(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit log intact"));

    server.stop().await;
    drop_roles(&[&owner, &app_role]).await;
}

/// `varsel healthcheck`, the container image's HEALTHCHECK, succeeds against
/// a running service and fails, with one line, when nothing answers.
async fn the_health_check_command_asks_the_running_service(backend: Backend) {
    let server = ServedBinary::start(backend).await;
    let base = server.url("");
    let port = base
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .expect("a port")
        .to_owned();
    let healthy = std::process::Command::new(env!("CARGO_BIN_EXE_varsel"))
        .arg("healthcheck")
        .envs(server.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("VARSEL_SERVER__PORT", &port)
        .output()
        .expect("run varsel healthcheck");
    assert!(
        healthy.status.success(),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    server.stop().await;
    let down = std::process::Command::new(env!("CARGO_BIN_EXE_varsel"))
        .arg("healthcheck")
        .env("VARSEL_SERVER__PORT", &port)
        .env("VARSEL_DATABASE__URL", "sqlite::memory:")
        .output()
        .expect("run varsel healthcheck");
    assert!(!down.status.success(), "nothing listens any more");
}

for_each_backend!(the_health_check_command_asks_the_running_service);
