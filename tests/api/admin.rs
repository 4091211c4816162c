//! `varsel serve` on the embedded default, `migrate`, `user add` and
//! `recovery-key init`, through the real binary.

use std::process::{Command, Stdio};

use crate::app::{find_case_code, Backend, ReportForm, ServedBinary, PASSWORD};
use crate::for_each_backend;
use crate::helpers::one_line_error;

/// `varsel` with no `VARSEL_*` variables, in `dir`.
fn bare_varsel(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_varsel"));
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("VARSEL_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[tokio::test]
async fn serve_without_configuration_runs_the_embedded_default() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = bare_varsel(dir.path())
        .arg("serve")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.starts_with("Varsel is listening on") || line.contains("error") {
                let _ = tx.send(seen.clone());
            }
        }
    });
    let seen = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("server output");
    assert!(
        seen.contains("No accounts exist yet"),
        "first start explains how to create an admin: {seen}"
    );
    assert!(seen.contains("varsel user add"), "{seen}");
    assert!(
        seen.contains("Varsel is listening on http://127.0.0.1:8080/"),
        "{seen}"
    );
    let landing = reqwest::get("http://127.0.0.1:8080/").await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(
        dir.path().join("data/varsel.db").exists(),
        "SQLite in ./data"
    );
    assert!(dir.path().join("data/attachments").is_dir());
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn unknown_settings_are_rejected_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = bare_varsel(dir.path())
        .arg("migrate")
        .env("VARSEL_SERVER__PROT", "1")
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("VARSEL_SERVER__PROT"));
    std::fs::write(
        dir.path().join("varsel.toml"),
        "[server]\nhots = \"0.0.0.0\"\n",
    )
    .unwrap();
    let out = bare_varsel(dir.path())
        .args(["--config", "varsel.toml", "migrate"])
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("hots"));
    let out = bare_varsel(dir.path())
        .arg("migrate")
        .env(
            "VARSEL_DATABASE__URL",
            "postgres://varsel:TopSecret@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    let line = one_line_error(&out);
    assert!(!line.contains("TopSecret"), "secrets never printed: {line}");
}

async fn user_add_creates_accounts_and_refuses_bad_ones(backend: Backend) {
    let server = ServedBinary::start(backend).await;
    let dir = server.db.data_dir.path().to_path_buf();
    let pw = dir.join("pw.txt");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let short = dir.join("short.txt");
    std::fs::write(&short, "kort\n").unwrap();
    let add = |name: &str, role: &str, file: &std::path::Path| {
        server.command(&[
            "user",
            "add",
            "--username",
            name,
            "--role",
            role,
            "--password-file",
            file.to_str().unwrap(),
        ])
    };
    let ok = add("kari", "handler", &pw);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(one_line_error(&add("kari", "handler", &pw)).contains("taken"));
    assert!(one_line_error(&add("ola", "boss", &pw)).contains("unknown role"));
    assert!(one_line_error(&add("ola", "handler", &short)).contains("at least 12"));
    assert!(one_line_error(&add("o la", "handler", &pw)).contains("username"));

    // The new account can log in to the staff pages.
    server.staff_login("kari").await;
    // An identity custodian is appointed the same way, and lands on the
    // identity requests.
    let custodian = add("kim", "custodian", &pw);
    assert!(custodian.status.success());
    let browser = server.client();
    let login = server.staff_login_attempt(&browser, "kim", PASSWORD).await;
    assert_eq!(login.location(), Some("/custodian"));
    server.page(&browser, "/custodian").await;
    server.stop().await;
}

async fn recovery_key_opens_new_cases_with_the_standard_tools(backend: Backend) {
    let server = ServedBinary::start(backend).await;
    let dir = server.db.data_dir.path().to_path_buf();
    server.add_user("hanne", None, "handler");

    let init = server.command(&["recovery-key", "init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let identity_file = dir.join("recovery.key");
    std::fs::write(&identity_file, &init.stdout).unwrap();
    let printed = String::from_utf8(init.stdout.clone()).unwrap();
    assert!(printed
        .lines()
        .any(|l| l.starts_with("AGE-SECRET-KEY-PQ-1")));
    assert!(String::from_utf8_lossy(&init.stderr).contains("shown once"));
    let again = server.command(&["recovery-key", "init"]);
    assert!(one_line_error(&again).contains("already configured"));

    // A report submitted now is wrapped to the recovery key too.
    let report = ReportForm {
        when: "",
        ..ReportForm::new("Gjenopprettbar rapport")
    };
    let receipt = server.submit_report_form(&server.client(), &report).await;
    assert_eq!(receipt.status, 200);
    let code = find_case_code(&receipt).expect("code shown");
    let code = varsel_crypto::CaseCode::parse(&code).unwrap();

    let store = server.db.store().await;
    let case = store
        .case_by_tag(code.lookup_tag().as_bytes())
        .await
        .unwrap()
        .expect("case");
    let wrap = store
        .key_wrap(case.id, &varsel::core::store::Holder::Recovery)
        .await
        .unwrap()
        .expect("the case key is wrapped to the recovery recipient");
    // `varsel decrypt` (age-compatible) opens the wrap with the printed identity,
    // and the case key it yields opens the report.
    let wrap_file = dir.join("case-key.age");
    std::fs::write(&wrap_file, &wrap).unwrap();
    let case_key = server.command(&[
        "decrypt",
        "-i",
        identity_file.to_str().unwrap(),
        wrap_file.to_str().unwrap(),
    ]);
    assert!(
        case_key.status.success(),
        "{}",
        String::from_utf8_lossy(&case_key.stderr)
    );
    let case_key_file = dir.join("case.key");
    std::fs::write(&case_key_file, &case_key.stdout).unwrap();
    let report_file = dir.join("report.age");
    std::fs::write(&report_file, &case.report).unwrap();
    let report = server.command(&[
        "decrypt",
        "-i",
        case_key_file.to_str().unwrap(),
        report_file.to_str().unwrap(),
    ]);
    assert!(report.status.success());
    assert!(String::from_utf8_lossy(&report.stdout).contains("Gjenopprettbar rapport"));

    // An identity generated offline: only its recipient is given to the server.
    let offline = server.command(&["keygen"]);
    let offline_text = String::from_utf8(offline.stdout).unwrap();
    let offline_recipient = offline_text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_owned();
    let bad = server.command(&[
        "recovery-key",
        "init",
        "--replace",
        "--recipient",
        "age1nonsense",
    ]);
    assert!(one_line_error(&bad).contains("is not an age recipient (age1… or age1pq1…)"));
    let set = server.command(&[
        "recovery-key",
        "init",
        "--replace",
        "--recipient",
        &offline_recipient,
    ]);
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    assert!(
        set.stdout.is_empty(),
        "no identity is printed for an offline key"
    );
    assert_eq!(
        store
            .setting(varsel::core::casework::RECOVERY_SETTING)
            .await
            .unwrap()
            .as_deref(),
        Some(offline_recipient.as_str())
    );
    server.stop().await;
}

for_each_backend!(
    user_add_creates_accounts_and_refuses_bad_ones,
    recovery_key_opens_new_cases_with_the_standard_tools
);
