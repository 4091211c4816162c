//! Builds the server: store, state, middleware and routes. `Application::build`
//! binds the configured address (port 0 picks a free one, for tests) and
//! reports the port it got.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpMessage, HttpRequest, HttpServer};
use anyhow::{Context, Result};

use crate::core::clock::{Clock, SystemClock};
use crate::core::keys::DummyKey;
use crate::core::service::Core;
use crate::core::settings::Settings;
use crate::core::store;
use crate::web::http::context::RequestLang;
use crate::web::http::errors::{AppError, ErrorKind};
use crate::web::http::middleware::language_and_log;
use crate::web::http::rate_limit::RateLimits;
use crate::web::state::AppState;
use crate::web::{api, routes};

/// Content-Security-Policy of every response: nothing from third parties, no
/// framing, forms post only here. Scripts are named on their own so that they
/// stay same-origin files only (no inline script, no `eval`) whatever
/// `default-src` becomes: the browser-encryption bundle relies on it.
pub const CSP: &str = "default-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

fn request_lang(req: &HttpRequest) -> crate::core::i18n::Lang {
    req.extensions()
        .get::<RequestLang>()
        .map(|l| l.0)
        .unwrap_or_default()
}

impl Application {
    /// Connects the store, applies migrations and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// As [`Application::build`], with the clock the notification scheduler
    /// reads (tests pass a [`ManualClock`](crate::core::clock::ManualClock)).
    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self> {
        let store = store::connect(&settings.database.url)
            .await
            .context("cannot open the database")?;
        if settings.database.migrate_on_start {
            store.migrate().await.context("cannot apply migrations")?;
        } else if let crate::core::store::Readiness::MigrationsPending(pending) = store
            .readiness()
            .await
            .context("cannot read which migrations are applied")?
        {
            // Serving on a schema this binary does not expect would fail
            // request by request; refuse once, saying what to do.
            anyhow::bail!(
                "the database lacks {} migration(s) of this version (database.migrate_on_start is off): run `varsel migrate` as the role that owns the schema, then start again",
                pending.len()
            );
        }
        // Exclusions an older version stored in plaintext (migration 0013).
        let sealed = crate::core::exclusions::seal_plaintext(&*store)
            .await
            .map_err(|e| anyhow::anyhow!("cannot seal the stored exclusions: {e}"))?;
        if sealed > 0 {
            tracing::info!(cases = sealed, "sealed plaintext exclusions to their cases");
        }
        store.set_cache_check_interval(Duration::from_millis(settings.database.cache_check_ms));
        store.set_group_commit(settings.database.group_commit);
        crate::core::private_fs::create_private_dir_all(&settings.storage.data_dir)
            .with_context(|| format!("cannot create {}", settings.storage.data_dir.display()))?;
        crate::core::private_fs::create_private_dir_all(&settings.storage.attachments_dir())
            .with_context(|| {
                format!(
                    "cannot create {}",
                    settings.storage.attachments_dir().display()
                )
            })?;
        let work_factor = settings.security.password_work_factor;
        let dummy_key = tokio::task::spawn_blocking(move || DummyKey::new(work_factor))
            .await
            .context("key task failed")??;
        let rate_limits = RateLimits::load(&*store)
            .await
            .context("cannot load the rate-limit secret")?;
        let core = Core {
            mail: Arc::new(crate::smtp::Smtp),
            dummy_key: Arc::new(dummy_key),
            password_checks: Arc::new(crate::core::password_checks::PasswordChecks::new(
                settings.security.password_checks_at_once,
            )),
            clock,
            store,
            settings,
        };
        let csrf_key = crate::core::sessions::anonymous_csrf_key(&core)
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the CSRF key: {e:#}"))?;
        // Rows from before migration 0010, or from other deadline rules.
        let refreshed = crate::core::deadlines::reconcile_stored(&core)
            .await
            .context("cannot bring the stored deadlines up to date")?;
        if refreshed > 0 {
            tracing::info!(refreshed, "recomputed the stored nearest deadlines");
        }
        let sso: Option<Arc<dyn crate::core::sso::IdentityProvider>> = if core.settings.oidc.enabled
        {
            Some(Arc::new(
                crate::oidc::OidcProvider::new(&core.settings.oidc)
                    .context("cannot set up single sign-on")?,
            ))
        } else {
            None
        };
        let state = web::Data::new(AppState {
            metrics: crate::web::operations::Metrics::default(),
            sso,
            csrf_key,
            rate_limits,
            core,
        });
        let listener = TcpListener::bind((
            state.settings.server.host.as_str(),
            state.settings.server.port,
        ))
        .with_context(|| {
            format!(
                "cannot listen on {}:{}",
                state.settings.server.host, state.settings.server.port
            )
        })?;
        let port = listener.local_addr()?.port();
        let server_state = state.clone();
        let header_timeout = Duration::from_secs(u64::from(
            state.settings.server.request_header_timeout_seconds,
        ));
        let server = HttpServer::new(move || {
            let state = server_state.clone();
            let limit = state.settings.limits.max_body_bytes;
            let mut headers = DefaultHeaders::new()
                .add(("Content-Security-Policy", CSP))
                .add(("Referrer-Policy", "no-referrer"))
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Cache-Control", "no-store"))
                .add(("Cross-Origin-Opener-Policy", "same-origin"))
                .add(("Cross-Origin-Resource-Policy", "same-origin"))
                .add((
                    "Permissions-Policy",
                    "camera=(), microphone=(), geolocation=()",
                ));
            if state.settings.server.tls {
                headers = headers.add(("Strict-Transport-Security", "max-age=63072000"));
            }
            App::new()
                .app_data(state)
                .app_data(
                    web::FormConfig::default()
                        .limit(limit)
                        .error_handler(|err, req| {
                            let kind = match err {
                                actix_web::error::UrlencodedError::Overflow { .. } => {
                                    ErrorKind::PayloadTooLarge
                                }
                                _ => ErrorKind::BadRequest,
                            };
                            AppError::new(kind, request_lang(req)).into()
                        }),
                )
                .app_data(web::PayloadConfig::default().limit(limit))
                .app_data(api::json_config(limit))
                .configure(routes::configure)
                .default_service(web::route().to(routes::not_found))
                .wrap(from_fn(crate::web::http::middleware::refuse_cross_site))
                .wrap(from_fn(crate::web::http::timeout::body_timeout))
                .wrap(from_fn(language_and_log))
                .wrap(headers)
        })
        .client_request_timeout(header_timeout)
        .listen(listener)?
        .shutdown_timeout(5)
        .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests drive the notification scheduler through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Runs until the server is stopped, purging expired sessions every minute.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        // `tokio::spawn`, not `actix_web::rt::spawn`: the server also runs
        // outside an actix System (tests spawn it on a plain tokio runtime).
        let housekeeping = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            // The day (by the application's clock) retention last ran.
            let mut retention_ran_on: Option<i64> = None;
            loop {
                tick.tick().await;
                if let Err(e) = crate::core::sessions::purge_expired(&state).await {
                    tracing::warn!(error = format!("{e:#}"), "expired sessions not purged");
                }
                state.rate_limits.housekeeping(&state).await;
                if let Err(e) = crate::core::receipts::purge(&state).await {
                    tracing::warn!(error = format!("{e:#}"), "old receipts not purged");
                }
                if let Err(e) = crate::core::sso::purge_expired(&state).await {
                    tracing::warn!(error = format!("{e:#}"), "expired logins not purged");
                }
                // The first tick is at once: the sweep also runs at start.
                let dir = state.settings.storage.attachments_dir();
                if let Err(e) = crate::core::attachments::sweep_orphans(
                    &*state.store,
                    &dir,
                    crate::core::attachments::ORPHAN_MIN_AGE,
                )
                .await
                {
                    tracing::warn!(error = %e, "cannot sweep attachment files");
                }
                // Yesterday's reporter audit entries join the chain.
                if let Err(e) =
                    crate::core::audit_log::append_finished_days(&*state.store, state.now()).await
                {
                    tracing::error!(error = %e, "cannot append queued audit entries");
                }
                // A stored deadline whose refresh did not run after its change.
                if let Err(e) = crate::core::deadlines::reconcile_stored(&state).await {
                    tracing::error!(error = format!("{e:#}"), "deadline refresh failed");
                }
                // Retention: once a day (at start, then on each new day).
                let today = crate::core::clock::day_of(state.now());
                if retention_ran_on != Some(today) {
                    use crate::core::retention::{purge, Runner};
                    match purge(&state, Runner::Scheduler, false).await {
                        Ok(_) => retention_ran_on = Some(today),
                        Err(e) => tracing::error!(error = %e, "retention pass failed"),
                    }
                }
            }
        });
        let notifications = self.state.clone();
        let scheduler = tokio::spawn(async move {
            let settings = &notifications.settings.notifications;
            if !settings.enabled {
                return;
            }
            let period = Duration::from_secs(settings.interval_seconds);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let clock = notifications.clock.clone();
                if let Err(e) = crate::core::notifications::tick(&notifications, &*clock).await {
                    tracing::error!(error = format!("{e:#}"), "notification pass failed");
                }
            }
        });
        let result = self.server.await;
        housekeeping.abort();
        scheduler.abort();
        result
    }
}
