//! Load driver for `POST /api/v1/reports`: a fixed number of concurrent
//! submitters post JSON reports (a 2 KiB description by default) for a
//! while, then the driver prints throughput, p50/p99/max latency and the
//! error count. Used by `scripts/bench.sh`; not a test.
//!
//! With `--e2e` it posts browser-encrypted reports to
//! `POST /api/v1/e2e/reports` instead (docs/e2e.md): it asks for the
//! routing once, encrypts the report and wraps the case key as a browser
//! would, and sends that case again and again, each time under a fresh
//! random lookup tag (all the server can tell apart). So the figures are the
//! server's cost of taking a sealed case, not the browser's of making one.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 \
//!     --concurrency 64 --seconds 10 [--warmup 2] [--report-bytes 2048] [--label sqlite] [--e2e]
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use varsel_crypto::{AnyIdentity, AnyRecipient, Recipient};

struct Options {
    url: String,
    concurrency: usize,
    seconds: u64,
    warmup: u64,
    report_bytes: usize,
    label: String,
    e2e: bool,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        url: "http://127.0.0.1:8080".into(),
        concurrency: 64,
        seconds: 10,
        warmup: 2,
        report_bytes: 2048,
        label: String::new(),
        e2e: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--e2e" {
            o.e2e = true;
            continue;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--url" => o.url = value,
            "--concurrency" => o.concurrency = number(&value)? as usize,
            "--seconds" => o.seconds = number(&value)?,
            "--warmup" => o.warmup = number(&value)?,
            "--report-bytes" => o.report_bytes = number(&value)? as usize,
            "--label" => o.label = value,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// A case as a browser makes it, for `POST /api/v1/e2e/reports`: the
/// envelope without its lookup tag, and the report's age file.
struct SealedCase {
    envelope: serde_json::Value,
    report: Vec<u8>,
}

fn encrypt_to(recipient: &AnyRecipient, plain: &[u8]) -> Result<Vec<u8>, String> {
    varsel_crypto::encrypt(&[recipient as &dyn Recipient], plain).map_err(|e| e.to_string())
}

/// Asks for the routing and seals one case for it, as the browser does.
async fn seal_case(
    client: &reqwest::Client,
    base: &str,
    description: &str,
) -> Result<SealedCase, String> {
    let routing: serde_json::Value = client
        .post(format!("{base}/api/v1/e2e/routing"))
        .json(&serde_json::json!({"category": "avvik", "severity": "middels"}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let hybrid = routing["key_kind"] == "hybrid";
    let identity = if hybrid {
        AnyIdentity::Hybrid(varsel_crypto::HybridIdentity::generate())
    } else {
        AnyIdentity::X25519(varsel_crypto::X25519Identity::generate())
    };
    let recipient = identity.to_public();
    let secret = identity.to_bech32();
    let mut wraps = serde_json::Map::new();
    for r in routing["recipients"].as_array().ok_or("no recipients")? {
        let to: AnyRecipient = r["recipient"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e: varsel_crypto::KeyError| e.to_string())?;
        let holder = r["holder"].as_str().unwrap_or_default().to_owned();
        wraps.insert(
            holder,
            STANDARD.encode(encrypt_to(&to, secret.as_bytes())?).into(),
        );
    }
    let code = varsel_crypto::CaseCode::generate();
    let reporter = if hybrid {
        AnyRecipient::Hybrid(code.reporter_hybrid_identity().to_public())
    } else {
        AnyRecipient::X25519(code.reporter_identity().to_public())
    };
    wraps.insert(
        "reporter".into(),
        STANDARD
            .encode(encrypt_to(&reporter, secret.as_bytes())?)
            .into(),
    );
    let report = serde_json::json!({"description": description, "when": null, "place": null});
    Ok(SealedCase {
        envelope: serde_json::json!({
            "routing_id": routing["routing_id"],
            "category": "avvik",
            "severity": "middels",
            "case_recipient": recipient.to_string(),
            "wraps": wraps,
        }),
        report: encrypt_to(&recipient, report.to_string().as_bytes())?,
    })
}

/// One request of the sealed case under a fresh lookup tag.
fn sealed_request(
    client: &reqwest::Client,
    endpoint: &str,
    case: &SealedCase,
) -> reqwest::RequestBuilder {
    let mut tag = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut tag);
    let mut envelope = case.envelope.clone();
    envelope["lookup_tag"] = hex::encode(tag).into();
    let form = reqwest::multipart::Form::new()
        .text("envelope", envelope.to_string())
        .part(
            "report",
            reqwest::multipart::Part::bytes(case.report.clone()).file_name("blob"),
        );
    client.post(endpoint).multipart(form)
}

#[tokio::main]
async fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let description: String = "Beskrivelse av hendelsen. "
        .chars()
        .cycle()
        .take(o.report_bytes)
        .collect();
    let body = Arc::new(
        serde_json::to_vec(&serde_json::json!({
            "category": "avvik",
            "severity": "middels",
            "description": description,
        }))
        .unwrap_or_default(),
    );
    let client = match reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let base = o.url.trim_end_matches('/').to_owned();
    let (endpoint, sealed) = if o.e2e {
        match seal_case(&client, &base, &description).await {
            Ok(case) => (format!("{base}/api/v1/e2e/reports"), Some(Arc::new(case))),
            Err(e) => {
                eprintln!("loadgen: cannot seal a case: {e}");
                std::process::exit(2);
            }
        }
    } else {
        (format!("{base}/api/v1/reports"), None)
    };
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..o.concurrency {
        let (client, endpoint, body) = (client.clone(), endpoint.clone(), body.clone());
        let sealed = sealed.clone();
        let (measuring, stop, errors) = (measuring.clone(), stop.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let request = match &sealed {
                    Some(case) => sealed_request(&client, &endpoint, case),
                    None => client
                        .post(&endpoint)
                        .header("content-type", "application/json")
                        .body(body.as_ref().clone()),
                };
                let sent = request.send().await;
                let ok = match sent {
                    Ok(response) => {
                        let status = response.status();
                        let _ = response.bytes().await;
                        status.is_success()
                    }
                    Err(_) => false,
                };
                if measuring.load(Ordering::Relaxed) {
                    latencies.push(started.elapsed().as_micros() as u64);
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(o.warmup)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for w in workers {
        if let Ok(l) = w.await {
            all.extend(l);
        }
    }
    all.sort_unstable();
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "{label}\trequests={n}\tper_second={rate:.0}\tp50_ms={p50:.1}\tp99_ms={p99:.1}\tmax_ms={max:.1}\terrors={errors}",
        label = if o.label.is_empty() { "run" } else { &o.label },
        n = all.len(),
        rate = all.len() as f64 / elapsed,
        p50 = percentile(&all, 50.0),
        p99 = percentile(&all, 99.0),
        max = all.last().copied().unwrap_or(0) as f64 / 1000.0,
    );
}
