//! Load driver for `POST /api/v1/reports`: a fixed number of concurrent
//! submitters post JSON reports (a 2 KiB description by default) for a
//! while, then the driver prints throughput, p50/p99/max latency and the
//! error count. Used by `scripts/bench.sh`; not a test.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 \
//!     --concurrency 64 --seconds 10 [--warmup 2] [--report-bytes 2048] [--label sqlite]
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Options {
    url: String,
    concurrency: usize,
    seconds: u64,
    warmup: u64,
    report_bytes: usize,
    label: String,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        url: "http://127.0.0.1:8080".into(),
        concurrency: 64,
        seconds: 10,
        warmup: 2,
        report_bytes: 2048,
        label: String::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
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
    let endpoint = format!("{}/api/v1/reports", o.url.trim_end_matches('/'));
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..o.concurrency {
        let (client, endpoint, body) = (client.clone(), endpoint.clone(), body.clone());
        let (measuring, stop, errors) = (measuring.clone(), stop.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let sent = client
                    .post(&endpoint)
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await;
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
