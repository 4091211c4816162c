//! Seeds a database with many cases routed to one handler, for the inbox
//! benchmark (`scripts/bench-inbox.sh`). Not part of the service.
//!
//! ```text
//! cargo run --release --example seed_inbox -- \
//!     --database sqlite:///tmp/bench.db --username bench --cases 100000 [--open 5000]
//! ```
//!
//! The handler must exist (`varsel user add`). Each case is a real row as a
//! submission stores it: its own case key (hybrid, as new cases get), the report sealed to it
//! (an age file), the case key wrapped to the handler and to a reporter key,
//! a random lookup tag, and the nearest deadline computed by the service's
//! deadline rules (default settings). The history spans five years, day by
//! day; the newest `--open` cases (default 5 %) are open, in every open
//! status, the rest closed, as a service's history is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rand::{Rng, RngCore};
use uuid::Uuid;
use varsel::core::casework::ReportContent;
use varsel::core::deadlines::of_new_case;
use varsel::core::domain::{CaseStatus, Category, Severity};
use varsel::core::keys;
use varsel::core::settings::Settings;
use varsel::core::store::{self, Case, Holder, KeyWrap, NewCase, Store};
use varsel_crypto::AnyRecipient;

/// Tasks inserting at once (lets PostgreSQL share commits).
const WORKERS: usize = 8;
/// Days of history the cases are spread over.
const HISTORY_DAYS: i64 = 5 * 365;

struct Args {
    database: String,
    username: String,
    cases: usize,
    open: Option<usize>,
}

fn args() -> Result<Args> {
    let mut database = None;
    let mut username = None;
    let mut cases = None;
    let mut open = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--database" => database = Some(value),
            "--username" => username = Some(value),
            "--cases" => cases = Some(value.parse().context("--cases")?),
            "--open" => open = Some(value.parse().context("--open")?),
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(Args {
        database: database.context("--database is required")?,
        username: username.context("--username is required")?,
        cases: cases.context("--cases is required")?,
        open,
    })
}

/// Case `n` of `total` (0 the oldest): its case row and what it needs.
fn new_case(
    n: usize,
    total: usize,
    open: usize,
    handler: &Holder,
    to: &AnyRecipient,
) -> Result<NewCase> {
    let mut rng = rand::thread_rng();
    let now = varsel::core::clock::system_now();
    let today = now - now.rem_euclid(86_400);
    // Oldest first, evenly over the history.
    let age_days = HISTORY_DAYS - (n as i64 * HISTORY_DAYS) / total.max(1) as i64;
    let received_at = today - age_days * 86_400;
    let is_open = n + open >= total;
    let status = if is_open {
        CaseStatus::ALL[rng.gen_range(0..4)]
    } else {
        CaseStatus::Closed
    };
    let acknowledged_at = (status != CaseStatus::Received)
        .then(|| received_at + rng.gen_range(1..4) * 86_400 + 36_000);
    let identity = keys::new_case_identity(keys::KeyKind::Hybrid);
    let recipient = identity.to_public();
    let report = ReportContent {
        description: format!(
            "Sak {n}: leverandøren fikk tilgang til lønnssystemet uten avtale, og \
             opplysninger om ansatte ble delt videre. Dette har pågått i flere uker."
        ),
        when: Some("Forrige tirsdag".to_owned()),
        place: Some("Kontoret i Bergen".to_owned()),
    };
    let sealed = keys::seal(&recipient, &serde_json::to_vec(&report)?)?;
    let reporter = keys::new_case_identity(keys::KeyKind::Hybrid).to_public();
    let wraps = vec![
        KeyWrap {
            holder: Holder::Reporter,
            wrapped: keys::wrap_case_identity(&identity, &reporter)?,
        },
        KeyWrap {
            holder: handler.clone(),
            wrapped: keys::wrap_case_identity(&identity, to)?,
        },
    ];
    let severity = Severity::ALL[rng.gen_range(0..4)];
    let case = Case {
        id: Uuid::new_v4(),
        recipient: recipient.to_string(),
        category: Category::ALL[rng.gen_range(0..3)],
        severity,
        suggested_severity: severity,
        status,
        received_at,
        acknowledged_at,
        updated_at: acknowledged_at.unwrap_or(received_at),
        reporter_seq: 1,
        report: sealed,
    };
    let defaults = Settings::default();
    let (next_deadline, rules) = of_new_case(&case, None, &defaults.deadlines, &defaults.taxonomy);
    let mut lookup_tag = [0u8; 32];
    rng.fill_bytes(&mut lookup_tag);
    Ok(NewCase {
        case,
        subtype: None,
        lookup_tag,
        wraps,
        sealed_exclusions: None,
        attachments: Vec::new(),
        next_deadline,
        deadline_rules: Some(rules),
        submission: None,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args()?;
    let store: Arc<dyn Store> = store::connect(&args.database).await?;
    store.migrate().await?;
    let user = store
        .user_by_username(&args.username)
        .await?
        .with_context(|| format!("no user {} (varsel user add)", args.username))?;
    let to = keys::recipient(&user.recipient)?;
    let handler = Holder::User(user.id);
    let total = args.cases;
    let open = args.open.unwrap_or(total / 20).min(total);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        let (store, next, to, handler) = (store.clone(), next.clone(), to.clone(), handler.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return Ok::<(), anyhow::Error>(());
                }
                let case = new_case(n, total, open, &handler, &to)?;
                store.create_case(&case).await?;
                if n > 0 && n % 10_000 == 0 {
                    eprintln!("{n} cases, {:.0} s", started.elapsed().as_secs_f64());
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    eprintln!(
        "seeded {total} cases ({open} open) for {} in {:.1} s",
        args.username,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
