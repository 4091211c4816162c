//! Typed settings: defaults, then a TOML file, then `VARSEL_…` environment
//! variables (`VARSEL_SECTION__KEY`, e.g. `VARSEL_SERVER__PORT=9000`). Unknown
//! keys in either are rejected. With no configuration at all, Varsel runs on
//! the embedded default: SQLite in `./data`, listening on 127.0.0.1:8080.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::core::domain::routing::RoutingSettings;
use crate::core::domain::{Category, DeadlineSettings, Taxonomy};

/// Environment variables with this prefix override settings.
const ENV_PREFIX: &str = "VARSEL_";
/// Environment variables with the prefix that are not settings.
const ENV_NOT_SETTINGS: &[&str] = &["VARSEL_CONFIG", "VARSEL_LOG"];

/// All settings.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where to listen and how the service is reached.
    pub server: ServerSettings,
    /// The database.
    pub database: DatabaseSettings,
    /// Files on disk (attachments).
    pub storage: StorageSettings,
    /// Size limits of requests, fields and attachments.
    pub limits: LimitSettings,
    /// Rate limits.
    pub rate_limits: RateLimitSettings,
    /// Session lifetimes.
    pub sessions: SessionSettings,
    /// Key derivation.
    pub security: SecuritySettings,
    /// Case deadline lengths.
    pub deadlines: DeadlineSettings,
    /// E-mail notifications to staff.
    pub notifications: NotificationSettings,
    /// Case routing rules and the accepted risk (see [`crate::core::routing`]).
    pub routing: RoutingSettings,
    /// Aggregate statistics.
    pub statistics: StatisticsSettings,
    /// The staff inbox's pages.
    pub inbox: InboxSettings,
    /// Reporter identities kept by custodians (see [`crate::core::identity`]).
    pub identity: crate::core::domain::identity::IdentitySettings,
    /// Case categories, their sub-types and the duties each sub-type
    /// triggers (see [`crate::core::domain::taxonomy`]); default: SPEC §4.
    pub taxonomy: Taxonomy,
    /// Single sign-on for staff with OpenID Connect (off by default).
    pub oidc: OidcSettings,
    /// Who may scrape `/metrics` besides administrators.
    pub metrics: crate::core::operations::MetricsSettings,
    /// The log format.
    pub log: crate::core::operations::LogSettings,
    /// How long closed cases are kept (see [`crate::core::retention`]).
    pub retention: RetentionSettings,
}

/// Where to listen.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// Set when users reach the service over HTTPS (directly or through a
    /// TLS-terminating proxy): cookies are then marked `Secure`.
    pub tls: bool,
    /// Proxies whose forwarding headers are trusted (staff routes only).
    pub trusted_proxies: Vec<IpAddr>,
    /// Default interface language (`nb`, `nn` or `en`). On reporter pages it
    /// wins over the browser's `Accept-Language`; only a language the
    /// reporter picks (link or cookie) overrides it.
    pub default_language: String,
    /// Key of the CSRF tokens of visitors without a session: 64 bytes as 128
    /// hex digits (`openssl rand -hex 64`). Empty (the default): a random key
    /// is made on first start and kept in the database, shared by every
    /// instance on it.
    pub csrf_key: String,
    /// Seconds a client has to send a request's headers.
    pub request_header_timeout_seconds: u32,
    /// Seconds a request body may stall (no byte arriving) before the
    /// request is answered 408 and its connection closed.
    pub body_idle_timeout_seconds: u32,
    /// Seconds a whole request body may take to arrive, however it trickles.
    pub body_deadline_seconds: u32,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            host: "127.0.0.1".into(),
            port: 8080,
            tls: false,
            trusted_proxies: Vec::new(),
            default_language: "nb".into(),
            csrf_key: String::new(),
            request_header_timeout_seconds: 10,
            body_idle_timeout_seconds: 30,
            body_deadline_seconds: 900,
        }
    }
}

/// Length of the CSRF key in bytes.
pub const CSRF_KEY_BYTES: usize = 64;

/// A CSRF key from its hex form (128 hex digits); `None` for anything else.
pub fn parse_csrf_key(hex_key: &str) -> Option<zeroize::Zeroizing<[u8; CSRF_KEY_BYTES]>> {
    let hex_key = hex_key.trim();
    if hex_key.len() != 2 * CSRF_KEY_BYTES {
        return None;
    }
    let mut key = zeroize::Zeroizing::new([0u8; CSRF_KEY_BYTES]);
    hex::decode_to_slice(hex_key, key.as_mut()).ok()?;
    Some(key)
}

impl ServerSettings {
    /// The configured CSRF key, if one is set and well formed.
    pub fn configured_csrf_key(&self) -> Option<zeroize::Zeroizing<[u8; CSRF_KEY_BYTES]>> {
        parse_csrf_key(&self.csrf_key)
    }

    fn validate(&self) -> Result<()> {
        if !(1..=600).contains(&self.request_header_timeout_seconds) {
            bail!("server.request_header_timeout_seconds must be between 1 and 600");
        }
        if !(1..=3600).contains(&self.body_idle_timeout_seconds) {
            bail!("server.body_idle_timeout_seconds must be between 1 and 3600");
        }
        if self.body_deadline_seconds < self.body_idle_timeout_seconds {
            bail!("server.body_deadline_seconds must be at least body_idle_timeout_seconds");
        }
        Ok(())
    }
}

/// The database connection.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` (the default, `sqlite://./data/varsel.db`) or `postgres://…`.
    pub url: String,
    /// How long, in milliseconds, the cache of users, groups, routing rules
    /// and settings is trusted before its version is read again. 0 (the
    /// default) reads the one-row version on every use, so a change made
    /// on another instance is seen at once; a few hundred milliseconds save
    /// that query under heavy load, and a change is then seen within that
    /// time. At most 60000.
    pub cache_check_ms: u64,
    /// Group commit: concurrent submissions share one transaction and one
    /// commit (each still answered only after that commit). On by default;
    /// off commits each submission alone (for comparison).
    pub group_commit: bool,
    /// Apply pending migrations when `serve` or another command opens the
    /// database (the default). `false`: only `varsel migrate` changes the
    /// schema, so the service can run as a database role that may read and
    /// write rows but not create tables (`deploy/postgres/roles.sql`); a
    /// schema that is behind then keeps `/readyz` at 503 until an operator
    /// migrates.
    pub migrate_on_start: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: "sqlite://./data/varsel.db".into(),
            cache_check_ms: 0,
            group_commit: true,
            migrate_on_start: true,
        }
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("cache_check_ms", &self.cache_check_ms)
            .field("group_commit", &self.group_commit)
            .field("migrate_on_start", &self.migrate_on_start)
            .finish()
    }
}

/// Replaces a password in a URL's user info with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}/{path}")
        }
        _ => url.to_owned(),
    }
}

/// Files on disk.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSettings {
    /// Data directory; attachments go to `attachments/` inside it.
    pub data_dir: PathBuf,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            data_dir: PathBuf::from("./data"),
        }
    }
}

impl StorageSettings {
    /// Where encrypted attachment files are kept.
    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }
}

/// Explicit limits on what a request may carry.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Largest form or JSON body without attachments, in bytes.
    pub max_body_bytes: usize,
    /// Longest report description or message, in characters.
    pub max_text_chars: usize,
    /// Longest short field (time, place, file name), in characters.
    pub max_short_field_chars: usize,
    /// Largest attachment, in bytes.
    pub max_attachment_bytes: u64,
    /// Most attachments per case.
    pub max_attachments_per_case: usize,
    /// Most bytes of attachment files (encrypted) stored in all; a new
    /// upload that would pass it is refused, and nothing of it is kept.
    pub storage_quota_bytes: u64,
    /// Most bytes reporters may upload in one hour, over all reporters and
    /// instances; uploads beyond it are refused until the hour has passed.
    pub anonymous_upload_bytes_per_hour: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            max_body_bytes: 256 * 1024,
            max_text_chars: 50_000,
            max_short_field_chars: 200,
            max_attachment_bytes: 100 * 1000 * 1000,
            max_attachments_per_case: 10,
            storage_quota_bytes: 50 * 1000 * 1000 * 1000,
            anonymous_upload_bytes_per_hour: 2 * 1000 * 1000 * 1000,
        }
    }
}

/// Rate limits and abuse budgets, shared by every instance on the database
/// (fixed one-minute windows counted in the database; see `docs/abuse.md`).
/// Reporters are never told apart by address, so their limits are per lane:
/// requests that carry a valid proof of work (the JavaScript lane) and
/// requests without one (the no-JavaScript lane) have budgets of their own,
/// and a flood on one cannot starve the other. Malformed or invalid requests
/// are refused before any budget is charged.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Report submissions per minute without proof of work (no-JavaScript lane).
    pub submissions_per_minute: u32,
    /// Report submissions per minute with a valid proof of work.
    pub pow_submissions_per_minute: u32,
    /// Case-code logins per minute without proof of work.
    pub code_logins_per_minute: u32,
    /// Case-code logins per minute with a valid proof of work.
    pub pow_code_logins_per_minute: u32,
    /// Staff logins per minute from browsers without a device cookie, overall.
    pub staff_logins_per_minute: u32,
    /// Staff logins per minute for one username from browsers without a
    /// valid device cookie for it.
    pub staff_logins_per_user_per_minute: u32,
    /// Staff logins per minute from one known device (a browser holding a
    /// device cookie for the username): exempt from the two limits above.
    pub staff_logins_per_device_per_minute: u32,
    /// Days a staff device cookie stays valid after a successful login.
    pub device_cookie_days: u32,
    /// Proof-of-work difficulty (leading zero bits) when the service is quiet.
    pub pow_base_difficulty: u8,
    /// Highest proof-of-work difficulty, however heavy the load.
    pub pow_max_difficulty: u8,
    /// Attempts per minute (both lanes of a purpose) above which the
    /// difficulty rises: two bits more each time the load doubles.
    pub pow_load_threshold: u32,
    /// Seconds a proof-of-work challenge stays valid.
    pub pow_challenge_seconds: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            submissions_per_minute: 30,
            pow_submissions_per_minute: 600,
            code_logins_per_minute: 60,
            pow_code_logins_per_minute: 1200,
            staff_logins_per_minute: 60,
            staff_logins_per_user_per_minute: 5,
            staff_logins_per_device_per_minute: 30,
            device_cookie_days: 180,
            pow_base_difficulty: 14,
            pow_max_difficulty: 22,
            pow_load_threshold: 60,
            pow_challenge_seconds: 600,
        }
    }
}

impl RateLimitSettings {
    fn validate(&self) -> Result<()> {
        if [
            self.submissions_per_minute,
            self.pow_submissions_per_minute,
            self.code_logins_per_minute,
            self.pow_code_logins_per_minute,
            self.staff_logins_per_minute,
            self.staff_logins_per_user_per_minute,
            self.staff_logins_per_device_per_minute,
            self.pow_load_threshold,
        ]
        .contains(&0)
        {
            bail!("rate limits must be positive");
        }
        if self.pow_max_difficulty > 32 || self.pow_base_difficulty > self.pow_max_difficulty {
            bail!("rate_limits: pow_base_difficulty <= pow_max_difficulty <= 32");
        }
        if !(30..=86_400).contains(&self.pow_challenge_seconds) {
            bail!("rate_limits.pow_challenge_seconds must be between 30 and 86400");
        }
        if !(1..=3650).contains(&self.device_cookie_days) {
            bail!("rate_limits.device_cookie_days must be between 1 and 3650");
        }
        Ok(())
    }
}

/// Session lifetimes.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Minutes of inactivity after which a reporter session ends.
    pub reporter_idle_minutes: u64,
    /// Minutes of inactivity after which a staff session ends.
    pub staff_idle_minutes: u64,
    /// Hours after login at which a staff session ends however active it is.
    pub staff_max_hours: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            reporter_idle_minutes: 30,
            staff_idle_minutes: 60,
            staff_max_hours: 12,
        }
    }
}

/// Key derivation.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// scrypt log2(N) for wrapping staff keys under their passwords (age's
    /// default, 18: 256 MiB and about a second per check). A key wrapped at
    /// another factor is re-wrapped at this one at its owner's next login.
    pub password_work_factor: u8,
    /// How many password checks may derive keys at once; more wait their
    /// turn. Each needs `2^password_work_factor` KiB of memory.
    pub password_checks_at_once: u32,
    /// New keys — staff keys, case keys, the reporter's code-derived key —
    /// are post-quantum hybrids (ML-KEM-768 + X25519, age's
    /// `mlkem768x25519`), and a staff member's X25519 key is upgraded at
    /// their next login. `false` makes new keys X25519 alone (for
    /// measuring the difference, or for age tools older than 1.3); existing
    /// keys of either kind keep working either way.
    pub hybrid_keys: bool,
}

impl SecuritySettings {
    /// The kind new keys are ([`SecuritySettings::hybrid_keys`]).
    pub fn key_kind(&self) -> crate::core::keys::KeyKind {
        crate::core::keys::KeyKind::new_keys(self.hybrid_keys)
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            password_work_factor: varsel_crypto::DEFAULT_WORK_FACTOR,
            password_checks_at_once: 2,
            hybrid_keys: true,
        }
    }
}

/// How a connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text, no TLS at all (a relay on the same host, or tests).
    None,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// Whether `s` has the form of a mailbox: `local@domain` or
/// `Name <local@domain>`, without white space in the address.
fn looks_like_mailbox(s: &str) -> bool {
    let s = s.trim();
    let address = match (s.rfind('<'), s.strip_suffix('>')) {
        (Some(open), Some(inner)) => &inner[open + 1..],
        (None, None) => s,
        _ => return false,
    };
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// E-mail notifications to staff (`[notifications]`): a case reached them, a
/// deadline is near or overdue. Mails never carry case content.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationSettings {
    /// Whether notifications are queued and sent at all.
    pub enabled: bool,
    /// The SMTP server.
    pub smtp_host: String,
    /// Its port.
    pub smtp_port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// SMTP user name; empty for no authentication.
    pub username: String,
    /// SMTP password; never printed.
    pub password: String,
    /// A PEM file of extra CA certificates to trust for the SMTP server's
    /// TLS certificate (an internal CA, or a self-signed server), besides
    /// the usual roots; empty for none.
    pub ca_file: String,
    /// The sender, e.g. `Varsel <varsel@example.org>`.
    pub from: String,
    /// Base URL of the service as staff reach it; mails link to its login page.
    pub public_url: String,
    /// Delivery attempts before a notification is marked failed.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub retry_base_seconds: u64,
    /// How often the scheduler looks for reminders and due mails.
    pub interval_seconds: u64,
    /// How long one SMTP exchange may take.
    pub timeout_seconds: u64,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            enabled: false,
            smtp_host: "localhost".into(),
            smtp_port: 587,
            tls: SmtpTls::Starttls,
            username: String::new(),
            password: String::new(),
            ca_file: String::new(),
            from: "Varsel <varsel@localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            max_attempts: 8,
            retry_base_seconds: 60,
            interval_seconds: 60,
            timeout_seconds: 30,
        }
    }
}

impl fmt::Debug for NotificationSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let password = if self.password.is_empty() { "" } else { "***" };
        f.debug_struct("NotificationSettings")
            .field("enabled", &self.enabled)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &password)
            .field("ca_file", &self.ca_file)
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .field("max_attempts", &self.max_attempts)
            .field("retry_base_seconds", &self.retry_base_seconds)
            .field("interval_seconds", &self.interval_seconds)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

impl NotificationSettings {
    /// The login link put in every mail: `public_url` + `/staff/login`.
    pub fn login_url(&self) -> String {
        format!("{}/staff/login", self.public_url.trim_end_matches('/'))
    }

    fn validate(&self) -> Result<()> {
        if !(1..=100).contains(&self.max_attempts) {
            bail!("notifications.max_attempts must be between 1 and 100");
        }
        if !(1..=86_400).contains(&self.retry_base_seconds) {
            bail!("notifications.retry_base_seconds must be between 1 and 86400");
        }
        if !(1..=3_600).contains(&self.interval_seconds) {
            bail!("notifications.interval_seconds must be between 1 and 3600");
        }
        if !(1..=600).contains(&self.timeout_seconds) {
            bail!("notifications.timeout_seconds must be between 1 and 600");
        }
        if !self.enabled {
            return Ok(());
        }
        let host = self.smtp_host.trim();
        if host.is_empty() || host.contains(['/', ' ', '@']) {
            bail!("notifications.smtp_host must be a host name or address");
        }
        if self.smtp_port == 0 {
            bail!("notifications.smtp_port must not be 0");
        }
        // The form only; the SMTP layer checks the rest at start-up
        // (`crate::smtp::check_settings`).
        if !looks_like_mailbox(&self.from) {
            bail!("notifications.from must be an address like \"Varsel <varsel@example.org>\"");
        }
        let url = self.public_url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or("");
        if rest.is_empty() || rest.starts_with('/') || url.contains(char::is_whitespace) {
            bail!("notifications.public_url must be an http(s) URL such as https://varsel.example.org");
        }
        if self.password.is_empty() != self.username.is_empty() {
            bail!("notifications.username and notifications.password go together");
        }
        if !self.username.is_empty() && self.tls == SmtpTls::None {
            bail!("notifications: a password is never sent without TLS (set tls = \"starttls\" or \"tls\")");
        }
        Ok(())
    }
}

/// Aggregate statistics for the management review.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatisticsSettings {
    /// Counts below this are never shown, so that no reporter can be singled
    /// out (at least 3: a "< 2" would be a 1).
    pub min_cell_count: u32,
}

impl Default for StatisticsSettings {
    fn default() -> Self {
        StatisticsSettings { min_cell_count: 5 }
    }
}

/// How long a closed case is kept before retention deletes it
/// (`[retention]`, `docs/retention.md`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Whole calendar months after closing (24).
    pub months: u32,
    /// Months for the cases of one category (by its slug: `varsling`,
    /// `avvik`, `sikkerhet`), instead of `months`.
    pub categories: std::collections::BTreeMap<String, u32>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            months: 24,
            categories: std::collections::BTreeMap::new(),
        }
    }
}

/// The longest period that may be set: 100 years.
const MAX_RETENTION_MONTHS: u32 = 1200;

impl RetentionSettings {
    /// The months a closed case of `category` is kept.
    pub fn months_for(&self, category: Category) -> u32 {
        self.categories
            .get(category.key())
            .copied()
            .unwrap_or(self.months)
    }

    fn validate(&self, taxonomy: &Taxonomy) -> Result<()> {
        if !(1..=MAX_RETENTION_MONTHS).contains(&self.months) {
            bail!("retention.months must be between 1 and {MAX_RETENTION_MONTHS}");
        }
        for (slug, months) in &self.categories {
            let known = Category::parse(slug).is_some()
                && taxonomy
                    .categories()
                    .iter()
                    .any(|c| c.key.as_str() == slug.as_str());
            if !known {
                bail!(
                    "retention.categories: unknown category {slug:?} (a category of the taxonomy)"
                );
            }
            if !(1..=MAX_RETENTION_MONTHS).contains(months) {
                bail!("retention.categories.{slug} must be between 1 and {MAX_RETENTION_MONTHS}");
            }
        }
        Ok(())
    }
}

/// The staff inbox (page and API): how many cases a page lists.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxSettings {
    /// Cases per page when the request names no `limit` (50).
    pub page_size: u32,
    /// The largest `limit` a request may ask for (200).
    pub max_page_size: u32,
}

impl Default for InboxSettings {
    fn default() -> Self {
        InboxSettings {
            page_size: 50,
            max_page_size: 200,
        }
    }
}

/// Single sign-on for staff with OpenID Connect (`[oidc]`): the authorisation
/// code flow with PKCE against one provider. The provider only says who
/// someone is; the account's case key still needs its passphrase
/// (see `docs/sso.md`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    /// Whether the login page offers single sign-on.
    pub enabled: bool,
    /// The provider's issuer URL, exactly as its ID tokens name it
    /// (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer_url: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret; never printed. Prefer `client_secret_file`.
    pub client_secret: String,
    /// A file whose first line is the client secret.
    pub client_secret_file: String,
    /// Where the provider sends the browser back: the public address of
    /// `/staff/login/oidc/callback`.
    pub redirect_url: String,
    /// Scopes asked for; `openid` is always asked for.
    pub scopes: Vec<String>,
    /// Minutes a started login may take, each step included.
    pub login_minutes: u64,
    /// Key passphrase tries after one provider login.
    pub passphrase_tries: u32,
    /// Seconds one exchange with the provider may take.
    pub timeout_seconds: u64,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            enabled: false,
            issuer_url: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            client_secret_file: String::new(),
            redirect_url: String::new(),
            scopes: vec!["openid".into()],
            login_minutes: 10,
            passphrase_tries: 5,
            timeout_seconds: 10,
        }
    }
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = if self.client_secret.is_empty() {
            ""
        } else {
            "***"
        };
        f.debug_struct("OidcSettings")
            .field("enabled", &self.enabled)
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &secret)
            .field("client_secret_file", &self.client_secret_file)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("login_minutes", &self.login_minutes)
            .field("passphrase_tries", &self.passphrase_tries)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

/// Whether `url` is `https://host…`, or `http://` to a loopback host (a
/// provider on the same machine, as in tests).
fn secure_or_loopback_url(url: &str) -> bool {
    if url.contains(char::is_whitespace) {
        return false;
    }
    let host_of = |rest: &str| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        host.to_owned()
    };
    if let Some(rest) = url.strip_prefix("https://") {
        return !host_of(rest).is_empty();
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = host_of(rest);
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.split(':').next().unwrap_or(""),
        };
        return name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    }
    false
}

impl OidcSettings {
    /// The client secret: `client_secret`, or the first line of
    /// `client_secret_file`.
    pub fn secret(&self) -> Result<zeroize::Zeroizing<String>> {
        if !self.client_secret.is_empty() {
            return Ok(zeroize::Zeroizing::new(self.client_secret.clone()));
        }
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(&self.client_secret_file)
                .with_context(|| format!("cannot read {}", self.client_secret_file))?,
        );
        let line = text.lines().next().unwrap_or("").trim();
        if line.is_empty() {
            bail!("{} holds no client secret", self.client_secret_file);
        }
        Ok(zeroize::Zeroizing::new(line.to_owned()))
    }

    fn validate(&self) -> Result<()> {
        if !(1..=60).contains(&self.login_minutes) {
            bail!("oidc.login_minutes must be between 1 and 60");
        }
        if !(1..=20).contains(&self.passphrase_tries) {
            bail!("oidc.passphrase_tries must be between 1 and 20");
        }
        if !(1..=120).contains(&self.timeout_seconds) {
            bail!("oidc.timeout_seconds must be between 1 and 120");
        }
        if !self.enabled {
            return Ok(());
        }
        if !secure_or_loopback_url(self.issuer_url.trim()) {
            bail!("oidc.issuer_url must be an https URL (http only to this machine)");
        }
        if !secure_or_loopback_url(self.redirect_url.trim())
            || !self
                .redirect_url
                .trim_end_matches('/')
                .ends_with("/staff/login/oidc/callback")
        {
            bail!("oidc.redirect_url must be the https address of /staff/login/oidc/callback");
        }
        if self.client_id.trim().is_empty() {
            bail!("oidc.client_id must be set");
        }
        if self.client_secret.is_empty() == self.client_secret_file.is_empty() {
            bail!("oidc: set one of client_secret and client_secret_file");
        }
        if self
            .scopes
            .iter()
            .any(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_graphic() && c != '"'))
        {
            bail!("oidc.scopes must be words without spaces");
        }
        Ok(())
    }
}

impl Settings {
    /// Loads defaults, then `file` (or `$VARSEL_CONFIG`) if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        let env_file = std::env::var_os("VARSEL_CONFIG").map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        let mut value = toml::Value::try_from(Settings::default())
            .context("cannot represent the default settings")?;
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration file {}", path.display()))?;
            let from_file: toml::Value = toml::from_str(&text)
                .with_context(|| format!("invalid configuration file {}", path.display()))?;
            merge(&mut value, from_file);
        }
        let vars: Vec<(String, String)> = std::env::vars().collect();
        apply_env(&mut value, &vars)?;
        let settings: Settings = value
            .try_into()
            .map_err(|e: toml::de::Error| anyhow::anyhow!("invalid settings: {}", e.message()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<()> {
        if !matches!(self.server.default_language.as_str(), "nb" | "nn" | "en") {
            bail!("server.default_language must be \"nb\", \"nn\" or \"en\"");
        }
        if !(10..=22).contains(&self.security.password_work_factor) {
            bail!("security.password_work_factor must be between 10 and 22");
        }
        if !(1..=64).contains(&self.security.password_checks_at_once) {
            bail!("security.password_checks_at_once must be between 1 and 64");
        }
        if !self.server.csrf_key.is_empty() && self.server.configured_csrf_key().is_none() {
            bail!("server.csrf_key must be 128 hex digits (64 bytes), or empty");
        }
        let s = &self.sessions;
        if s.reporter_idle_minutes == 0 || s.staff_idle_minutes == 0 || s.staff_max_hours == 0 {
            bail!("session lifetimes must be positive");
        }
        if self.database.cache_check_ms > 60_000 {
            bail!("database.cache_check_ms must be at most 60000");
        }
        let l = &self.limits;
        if l.max_body_bytes == 0 || l.max_text_chars == 0 || l.max_attachment_bytes == 0 {
            bail!("limits must be positive");
        }
        if l.storage_quota_bytes == 0 || l.anonymous_upload_bytes_per_hour == 0 {
            bail!("limits.storage_quota_bytes and limits.anonymous_upload_bytes_per_hour must be positive");
        }
        self.rate_limits.validate()?;
        self.identity.validate()?;
        self.server.validate()?;
        self.deadlines.validate()?;
        self.notifications.validate()?;
        self.oidc.validate()?;
        self.metrics.validate()?;
        for category in self.taxonomy.categories() {
            if Category::parse(category.key.as_str()).is_none() {
                bail!(
                    "taxonomy: unknown category {:?} (varsling, avvik, sikkerhet); \
                     an organisation may drop categories and change sub-types",
                    category.key.as_str()
                );
            }
            for subtype in &category.subtypes {
                let known = crate::core::i18n::Translator::has(
                    &crate::core::domain::taxonomy::label_key(&category.key, &subtype.key),
                );
                if !known && !subtype.labels.complete() {
                    bail!(
                        "taxonomy: sub-type {}.{} needs labels = {{ nb = \"…\", en = \"…\" }}",
                        category.key,
                        subtype.key
                    );
                }
            }
        }
        self.routing.validate(&self.taxonomy)?;
        self.retention.validate(&self.taxonomy)?;
        let inbox = &self.inbox;
        if !(1..=1000).contains(&inbox.max_page_size)
            || !(1..=inbox.max_page_size).contains(&inbox.page_size)
        {
            bail!("inbox: max_page_size must be between 1 and 1000, page_size between 1 and max_page_size");
        }
        if !(3..=1000).contains(&self.statistics.min_cell_count) {
            bail!("statistics.min_cell_count must be between 3 and 1000");
        }
        Ok(())
    }
}

fn merge(base: &mut toml::Value, overlay: toml::Value) {
    match (base, overlay) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Applies `VARSEL_SECTION__KEY=value` variables; an unknown one is an error.
fn apply_env(value: &mut toml::Value, vars: &[(String, String)]) -> Result<()> {
    for (name, raw) in vars {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if ENV_NOT_SETTINGS.contains(&name.as_str()) {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        let [section, key] = path.as_slice() else {
            bail!("unknown setting {name} (use VARSEL_SECTION__KEY)");
        };
        let table = value
            .get_mut(section.as_str())
            .and_then(toml::Value::as_table_mut)
            .with_context(|| format!("unknown setting {name}"))?;
        let Some(current) = table.get(key.as_str()) else {
            bail!("unknown setting {name}");
        };
        let parsed =
            parse_env_value(current, raw).with_context(|| format!("invalid value for {name}"))?;
        table.insert(key.clone(), parsed);
    }
    Ok(())
}

/// Parses an environment value into the type of the setting it replaces.
fn parse_env_value(current: &toml::Value, raw: &str) -> Result<toml::Value> {
    Ok(match current {
        toml::Value::String(_) => toml::Value::String(raw.to_owned()),
        toml::Value::Integer(_) => toml::Value::Integer(raw.trim().parse()?),
        toml::Value::Boolean(_) => toml::Value::Boolean(raw.trim().parse()?),
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        _ => bail!("this setting cannot be set from the environment"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(file: &str, env: &[(&str, &str)]) -> Result<Settings> {
        let mut value = toml::Value::try_from(Settings::default())?;
        merge(&mut value, toml::from_str(file)?);
        let vars: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        apply_env(&mut value, &vars)?;
        let s: Settings = value.try_into()?;
        s.validate()?;
        Ok(s)
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let s = load_with("", &[]).expect("defaults load");
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.server.port, 8080);
        assert!(s.database.url.starts_with("sqlite://"));
        assert_eq!(s.limits.max_attachments_per_case, 10);
        assert_eq!(s.limits.max_attachment_bytes, 100_000_000);
    }

    #[test]
    fn retention_defaults_to_24_months_and_takes_known_categories_only() {
        let s = load_with("", &[]).expect("defaults load");
        assert_eq!(s.retention.months_for(Category::Avvik), 24);
        let s = load_with(
            "[retention]\nmonths = 12\n[retention.categories]\nsikkerhet = 60\n",
            &[],
        )
        .expect("loads");
        assert_eq!(s.retention.months_for(Category::Sikkerhet), 60);
        assert_eq!(s.retention.months_for(Category::Varsling), 12);
        assert!(load_with("[retention]\nmonths = 0\n", &[]).is_err());
        assert!(load_with("[retention.categories]\nmiljo = 12\n", &[]).is_err());
        assert!(load_with("[retention.categories]\navvik = 0\n", &[]).is_err());
    }

    #[test]
    fn file_then_environment_layering() {
        let s = load_with(
            "[server]\nport = 9000\n[limits]\nmax_attachments_per_case = 3\n",
            &[
                ("VARSEL_SERVER__PORT", "9100"),
                ("VARSEL_SERVER__TLS", "true"),
                ("HOME", "/x"),
            ],
        )
        .expect("loads");
        assert_eq!(s.server.port, 9100);
        assert!(s.server.tls);
        assert_eq!(s.limits.max_attachments_per_case, 3);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(load_with("[server]\nprot = 1\n", &[]).is_err());
        assert!(load_with("[nonsense]\nx = 1\n", &[]).is_err());
        assert!(load_with("", &[("VARSEL_SERVER__PROT", "1")]).is_err());
        assert!(load_with("", &[("VARSEL_PORT", "1")]).is_err());
        assert!(load_with("", &[("VARSEL_SERVER__PORT", "eighty")]).is_err());
        assert!(load_with("", &[("VARSEL_LIMITS__MAX_BODY_BYTES", "0")]).is_err());
    }

    #[test]
    fn the_default_language_is_bokmål_nynorsk_or_english() {
        assert_eq!(
            load_with("", &[]).expect("loads").server.default_language,
            "nb"
        );
        for code in ["nb", "nn", "en"] {
            let s = load_with(&format!("[server]\ndefault_language = \"{code}\"\n"), &[])
                .expect("a supported language");
            assert_eq!(s.server.default_language, code);
        }
        let s = load_with("", &[("VARSEL_SERVER__DEFAULT_LANGUAGE", "nn")]).expect("loads");
        assert_eq!(s.server.default_language, "nn");
        for code in ["no", "de", "NN", ""] {
            assert!(
                load_with(&format!("[server]\ndefault_language = \"{code}\"\n"), &[]).is_err(),
                "{code:?} is refused"
            );
        }
    }

    #[test]
    fn the_csrf_key_is_shared_unless_configured_and_then_validated() {
        let s = load_with("", &[]).expect("defaults load");
        assert!(s.server.csrf_key.is_empty());
        assert!(s.server.configured_csrf_key().is_none());
        let key = "ab".repeat(64);
        let s = load_with("", &[("VARSEL_SERVER__CSRF_KEY", &key)]).expect("loads");
        assert_eq!(s.server.configured_csrf_key().map(|k| k[0]), Some(0xab));
        assert!(load_with("", &[("VARSEL_SERVER__CSRF_KEY", "abcd")]).is_err());
        let not_hex = "zz".repeat(64);
        assert!(load_with(&format!("[server]\ncsrf_key = \"{not_hex}\"\n"), &[]).is_err());
        assert!(load_with("[sessions]\nstaff_idle_minutes = 0\n", &[]).is_err());
        assert!(load_with("[sessions]\nmax_sessions = 10\n", &[]).is_err());
    }

    #[test]
    fn deadlines_section_has_defaults_layers_and_ranges() {
        let s = load_with("", &[]).expect("defaults load");
        assert_eq!(s.deadlines, DeadlineSettings::default());
        let s = load_with(
            "[deadlines]\nacknowledge_days = 5\nfeedback_months = 2\n",
            &[("VARSEL_DEADLINES__BREACH_DECISION_HOURS", "48")],
        )
        .expect("loads");
        assert_eq!(s.deadlines.acknowledge_days, 5);
        assert_eq!(s.deadlines.feedback_months, 2);
        assert_eq!(s.deadlines.feedback_extended_months, 6);
        assert_eq!(s.deadlines.breach_decision_hours, 48);
        assert!(load_with("[deadlines]\nacknowledge_dayz = 5\n", &[]).is_err());
        assert!(load_with("", &[("VARSEL_DEADLINES__BREACH_DECISION_HOURS", "96")]).is_err());
        assert!(load_with("[deadlines]\nfeedback_extended_months = 3\n", &[]).is_err());
        assert!(load_with("[deadlines]\nacknowledge_days = 0\n", &[]).is_err());
    }

    #[test]
    fn notifications_are_off_by_default_and_validated_when_on() {
        let s = load_with("", &[]).expect("defaults load");
        assert!(!s.notifications.enabled);
        assert_eq!(s.notifications.smtp_port, 587);
        assert_eq!(s.notifications.tls, SmtpTls::Starttls);
        assert_eq!(s.notifications.max_attempts, 8);
        assert_eq!(s.notifications.retry_base_seconds, 60);
        let s = load_with(
            "[notifications]\nenabled = true\nsmtp_host = \"smtp.example.org\"\n\
             from = \"Varsel <varsel@example.org>\"\npublic_url = \"https://varsel.example.org/\"\n",
            &[
                ("VARSEL_NOTIFICATIONS__TLS", "tls"),
                ("VARSEL_NOTIFICATIONS__SMTP_PORT", "465"),
                ("VARSEL_NOTIFICATIONS__USERNAME", "varsel"),
                ("VARSEL_NOTIFICATIONS__PASSWORD", "s3cret"),
            ],
        )
        .expect("loads");
        assert_eq!(s.notifications.tls, SmtpTls::Tls);
        assert_eq!(s.notifications.smtp_port, 465);
        assert_eq!(
            s.notifications.login_url(),
            "https://varsel.example.org/staff/login"
        );
        let debug = format!("{:?}", s.notifications);
        assert!(!debug.contains("s3cret"), "{debug}");
        let on = "[notifications]\nenabled = true\n";
        assert!(load_with(on, &[]).is_ok());
        assert!(load_with(&format!("{on}tls = \"ssl\"\n"), &[]).is_err());
        assert!(load_with(&format!("{on}from = \"not an address\"\n"), &[]).is_err());
        assert!(load_with(&format!("{on}public_url = \"varsel.example.org\"\n"), &[]).is_err());
        assert!(load_with(&format!("{on}max_attempts = 0\n"), &[]).is_err());
        assert!(load_with(&format!("{on}password = \"x\"\n"), &[]).is_err());
        assert!(load_with(
            &format!("{on}tls = \"none\"\nusername = \"u\"\npassword = \"p\"\n"),
            &[]
        )
        .is_err());
    }

    #[test]
    fn inbox_page_sizes_have_defaults_and_ranges() {
        let s = load_with("", &[]).expect("loads");
        assert_eq!((s.inbox.page_size, s.inbox.max_page_size), (50, 200));
        let s = load_with("[inbox]\npage_size = 20\nmax_page_size = 20\n", &[]).expect("loads");
        assert_eq!((s.inbox.page_size, s.inbox.max_page_size), (20, 20));
        assert!(load_with("[inbox]\npage_size = 0\n", &[]).is_err());
        assert!(load_with("[inbox]\npage_size = 300\n", &[]).is_err());
        assert!(load_with("[inbox]\nmax_page_size = 5000\n", &[]).is_err());
    }

    #[test]
    fn statistics_section_has_a_default_and_a_range() {
        let s = load_with("", &[]).expect("defaults load");
        assert_eq!(s.statistics.min_cell_count, 5);
        let s = load_with("[statistics]\nmin_cell_count = 10\n", &[]).expect("loads");
        assert_eq!(s.statistics.min_cell_count, 10);
        let s = load_with("", &[("VARSEL_STATISTICS__MIN_CELL_COUNT", "3")]).expect("loads");
        assert_eq!(s.statistics.min_cell_count, 3);
        assert!(load_with("[statistics]\nmin_cell_count = 2\n", &[]).is_err());
        assert!(load_with("[statistics]\nmin_cells = 5\n", &[]).is_err());
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://varsel:s3cret@db.example:5432/varsel"),
            "postgres://varsel:***@db.example:5432/varsel"
        );
        assert_eq!(
            redact_url("sqlite://./data/varsel.db"),
            "sqlite://./data/varsel.db"
        );
        let debug = format!(
            "{:?}",
            DatabaseSettings {
                url: "postgres://u:pw@h/d".into(),
                ..DatabaseSettings::default()
            }
        );
        assert!(!debug.contains("pw"));
    }

    #[test]
    fn single_sign_on_is_off_by_default_and_checked_when_on() {
        assert!(!load_with("", &[]).unwrap().oidc.enabled);
        let good = r#"
            [oidc]
            enabled = true
            issuer_url = "https://login.example.org/tenant/v2.0"
            client_id = "varsel"
            client_secret = "s3cret"
            redirect_url = "https://varsel.example.org/staff/login/oidc/callback"
        "#;
        let s = load_with(good, &[]).unwrap();
        assert_eq!(s.oidc.scopes, ["openid"]);
        assert!(!format!("{:?}", s.oidc).contains("s3cret"));
        // Plain http only to this machine.
        let local = [("VARSEL_OIDC__ISSUER_URL", "http://127.0.0.1:9000")];
        assert!(load_with(good, &local).is_ok());
        for bad in [
            ("VARSEL_OIDC__ISSUER_URL", "http://idp.example.org"),
            ("VARSEL_OIDC__ISSUER_URL", ""),
            ("VARSEL_OIDC__CLIENT_ID", " "),
            ("VARSEL_OIDC__CLIENT_SECRET_FILE", "/etc/varsel/secret"),
            (
                "VARSEL_OIDC__REDIRECT_URL",
                "https://varsel.example.org/elsewhere",
            ),
            ("VARSEL_OIDC__PASSPHRASE_TRIES", "0"),
            ("VARSEL_OIDC__SCOPES", "openid,two words"),
        ] {
            assert!(load_with(good, &[bad]).is_err(), "{bad:?}");
        }
    }
}
