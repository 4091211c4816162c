//! The submission path without HTTP: `casework::submit_report` on a real
//! store (SQLite in a temporary directory; PostgreSQL too when
//! `TEST_POSTGRES_URL` is set), with three handlers routed to, a recovery
//! recipient and a 2 KiB report — routing from the cache, sealing, one
//! wrap per recipient, the case rows and the audit entry in one
//! group-committed transaction. Each runs twice, side by side: with X25519
//! keys (case, staff, recovery and reporter keys) and with post-quantum
//! hybrid keys (`mlkem768x25519`, the default since issue 13).
//!
//! - `submit/<backend>/<keys>/one`: one submission at a time (latency; every
//!   submission pays a commit of its own).
//! - `submit/<backend>/<keys>/64-concurrent`: 64 submissions at once
//!   (throughput; they share commits).
//!
//! Run with `cargo bench --bench submission` (add `-- --quick` for a rough
//! pass).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sqlx::Connection;
use uuid::Uuid;
use varsel::core::casework::{self, PreparedCase, ReportDraft, ReportInput, ReportLimits};
use varsel::core::clock::SystemClock;
use varsel::core::domain::Role;
use varsel::core::keys::{DummyKey, KeyKind};
use varsel::core::service::Core;
use varsel::core::settings::Settings;
use varsel::core::store::{self, User};

/// The key kinds compared, with their names in the benchmark ids.
const KINDS: [(KeyKind, &str); 2] = [(KeyKind::X25519, "x25519"), (KeyKind::Hybrid, "hybrid")];

/// Concurrent submissions in the throughput benchmark.
const CONCURRENCY: usize = 64;

/// A Core on `url` with three handlers and a recovery recipient, every key
/// of `kind`.
async fn core_on(url: &str, data_dir: &std::path::Path, kind: KeyKind) -> Arc<Core> {
    let store = store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    for n in 0..3 {
        let identity = kind.generate();
        store
            .create_user(&User {
                id: Uuid::new_v4(),
                username: format!("handler{n}"),
                display_name: format!("Handler {n}"),
                roles: vec![Role::Handler],
                recipient: identity.to_public().to_string(),
                wrapped_identity: Vec::new(),
                email: None,
                active: true,
                groups: Vec::new(),
                created_at: 0,
            })
            .await
            .expect("user");
    }
    let recovery = kind.generate();
    store
        .set_setting(
            casework::RECOVERY_SETTING,
            &recovery.to_public().to_string(),
        )
        .await
        .expect("recovery");
    let mut settings = Settings::default();
    settings.database.url = url.to_owned();
    settings.storage.data_dir = data_dir.to_path_buf();
    settings.security.hybrid_keys = kind == KeyKind::Hybrid;
    Arc::new(Core {
        settings,
        store,
        dummy_key: Arc::new(DummyKey::new(10).expect("dummy key")),
        password_checks: Arc::new(varsel::core::password_checks::PasswordChecks::new(2)),
        clock: Arc::new(SystemClock),
        mail: Arc::new(varsel::smtp::Smtp),
    })
}

/// A 2 KiB report.
fn report(core: &Core) -> ReportInput {
    let description: String = "Beskrivelse av hendelsen. "
        .chars()
        .cycle()
        .take(2048)
        .collect();
    ReportDraft {
        category: "avvik",
        subtype: "",
        severity: "middels",
        description: &description,
        when: "",
        place: "",
        exclude: Vec::new(),
    }
    .parse(
        &core.settings.taxonomy,
        ReportLimits {
            max_text_chars: core.settings.limits.max_text_chars,
            max_short_field_chars: core.settings.limits.max_short_field_chars,
        },
    )
    .unwrap_or_else(|_| panic!("a valid report"))
}

/// Files `input` once, with fresh keys of the service's kind.
async fn submit_one(core: &Core, input: &ReportInput) -> Result<(), String> {
    let prepared = PreparedCase::new(core.settings.security.key_kind());
    casework::submit_report(core, &prepared, input, &[])
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn bench_backend(c: &mut Criterion, name: &str, rt: &tokio::runtime::Runtime, core: Arc<Core>) {
    let input = Arc::new(report(&core));
    let mut group = c.benchmark_group(format!("submit/{name}"));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(1));
    group.bench_function("one", |b| {
        b.to_async(rt).iter(|| {
            let (core, input) = (core.clone(), input.clone());
            async move {
                submit_one(&core, &input)
                    .await
                    .unwrap_or_else(|e| panic!("submit: {e}"));
            }
        })
    });
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    group.bench_function(format!("{CONCURRENCY}-concurrent"), |b| {
        b.to_async(rt).iter_custom(|iters| {
            let (core, input) = (core.clone(), input.clone());
            async move {
                let started = Instant::now();
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..CONCURRENCY)
                        .map(|_| {
                            let (core, input) = (core.clone(), input.clone());
                            tokio::spawn(async move { submit_one(&core, &input).await })
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("join").expect("submit");
                    }
                }
                started.elapsed()
            }
        })
    });
    group.finish();
}

fn submission(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temporary directory");
    for (kind, keys) in KINDS {
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("{keys}.db")).display()
        );
        let core = rt.block_on(core_on(&url, dir.path(), kind));
        bench_backend(c, &format!("sqlite/{keys}"), &rt, core);
    }

    let Some(admin) = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return;
    };
    for (kind, keys) in KINDS {
        let name = format!("varsel_bench_{}", Uuid::new_v4().simple());
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("TEST_POSTGRES_URL names no database"),
        };
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("admin");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
        });
        let core = rt.block_on(core_on(&url, dir.path(), kind));
        bench_backend(c, &format!("postgres/{keys}"), &rt, core.clone());
        drop(core);
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("admin");
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        });
    }
}

criterion_group!(benches, submission);
criterion_main!(benches);
