//! Logging. Log lines carry method, route pattern, status and timing, and
//! internal errors with incident ids; never client addresses, user agents,
//! case codes or case content. The filter comes from `VARSEL_LOG`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (stderr, compact). Safe to call twice.
pub fn init() {
    let filter = EnvFilter::try_from_env("VARSEL_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
