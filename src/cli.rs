//! Command-line definitions of the `varsel` binary.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Varsel: anonymous reporting of wrongdoing and security deviations.
#[derive(Debug, Parser)]
#[command(name = "varsel", version, about)]
pub struct Cli {
    /// Configuration file (TOML); also `VARSEL_CONFIG`. Environment variables
    /// `VARSEL_SECTION__KEY` override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Ask the running service's `/healthz` on its configured port (over
    /// loopback) and exit 0 if it answers 200: for container health checks,
    /// which then need no shell or HTTP client in the image.
    Healthcheck,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the organisation's recovery key.
    #[command(subcommand, name = "recovery-key")]
    RecoveryKey(RecoveryKeyCommand),
    /// Use the organisation's recovery key (offline, see docs/recovery.md).
    #[command(subcommand)]
    Recovery(RecoveryCommand),
    /// Check the hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Inspect the e-mail notification outbox.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Maintain the encrypted attachment files.
    #[command(subcommand)]
    Attachments(AttachmentsCommand),
    /// Write a backup (database and encrypted attachment files, ciphertext
    /// only) to one archive file.
    Backup(BackupArgs),
    /// Restore a backup into an empty database and data directory.
    Restore(RestoreArgs),
    /// Delete the closed cases whose retention period has run out, now
    /// (the service does so once a day; see docs/retention.md).
    Purge(PurgeArgs),
    /// Generate an age X25519 identity, or with --pq a post-quantum hybrid one (like age-keygen).
    Keygen(KeygenArgs),
    /// Encrypt to age recipients or a passphrase (like age -e).
    Encrypt(EncryptArgs),
    /// Decrypt an age file, binary or armored (like age -d).
    Decrypt(DecryptArgs),
    /// Export a case as one age-encrypted archive (see docs/export.md),
    /// with a staff member's credentials.
    Export(ExportArgs),
}

/// Arguments of `varsel export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The case id.
    #[arg(long = "case", value_name = "ID")]
    pub case: String,
    /// The login name of the staff member exporting it: the case must be
    /// routed to them, as for reading it.
    #[arg(long = "user", value_name = "NAME")]
    pub user: String,
    /// Encrypt the archive to RECIPIENT (an `age1…` public key). May be repeated.
    #[arg(short, long = "recipient", value_name = "RECIPIENT", required = true)]
    pub recipients: Vec<String>,
    /// Read the staff member's passphrase (password) from the first line of
    /// FILE instead of prompting.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Write the archive to FILE (never overwritten; `-` for stdout);
    /// default `varsel-case-<id>.tar.age` in the current directory.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `varsel backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (must not exist; created with mode 0600).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Arguments of `varsel restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive `varsel backup` wrote.
    #[arg(short, long, value_name = "FILE")]
    pub input: PathBuf,
    /// Replace what the target database and attachment directory hold.
    /// Stop every instance of the service first.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `varsel keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write the identity to FILE (created with mode 0600; never overwritten) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Generate a post-quantum hybrid (ML-KEM-768 + X25519) identity,
    /// `AGE-SECRET-KEY-PQ-1…` with an `age1pq1…` public key.
    #[arg(long)]
    pub pq: bool,
}

/// Arguments of `varsel encrypt`.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// Encrypt to RECIPIENT (an `age1…` or post-quantum `age1pq1…` public key).
    /// May be repeated; post-quantum and other recipients cannot be mixed.
    #[arg(short, long = "recipient", value_name = "RECIPIENT")]
    pub recipients: Vec<String>,
    /// Encrypt to the recipients listed in FILE, one per line. May be repeated.
    #[arg(short = 'R', long = "recipients-file", value_name = "FILE")]
    pub recipients_files: Vec<PathBuf>,
    /// Encrypt with a passphrase (prompted for, or read from --passphrase-file).
    #[arg(short, long)]
    pub passphrase: bool,
    /// Read the passphrase from the first line of FILE instead of prompting.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Encrypt to an ASCII-armored (PEM-like) file.
    #[arg(short, long)]
    pub armor: bool,
    /// Write the result to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The file to encrypt; stdin if absent or `-`.
    pub input: Option<PathBuf>,
}

/// Arguments of `varsel decrypt`.
#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// Use the identity file at FILE (`AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`
    /// lines). May be repeated.
    #[arg(short, long = "identity", value_name = "FILE")]
    pub identities: Vec<PathBuf>,
    /// For passphrase-encrypted files: read the passphrase from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Write the result to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The file to decrypt (binary or armored, detected); stdin if absent or `-`.
    pub input: Option<PathBuf>,
}

/// `varsel user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account with its own key pair.
    Add(UserAddArgs),
    /// List the staff accounts: roles, groups, active or deactivated.
    List,
    /// Deactivate an account: it can no longer log in, its sessions end, it
    /// leaves every group and its case keys are deleted. Refused, naming the
    /// cases, if a case would then be readable by no one.
    Deactivate(UserNameArgs),
    /// Make a deactivated account active again, with no groups and no cases.
    Reactivate(UserNameArgs),
    /// Set an account's roles (any change ends its sessions).
    Roles(UserRolesArgs),
    /// Delete an account's second factor (TOTP secret and recovery codes),
    /// for someone who lost both: they set it up again at their next login
    /// where two factors are required. Their sessions end.
    ResetTwoFactor(UserNameArgs),
    /// Link an account to a subject of the OpenID Connect provider: it then
    /// logs in there (and unlocks its key with its passphrase), no longer
    /// with its password.
    LinkOidc(LinkOidcArgs),
    /// Remove an account's link to the OpenID Connect provider.
    UnlinkOidc(UnlinkOidcArgs),
    /// Change a staff account's password (needs the current one); every
    /// session of the account ends.
    Passwd(UserPasswdArgs),
}

/// Arguments of `varsel user link-oidc`.
#[derive(Debug, Args)]
pub struct LinkOidcArgs {
    /// Login name of the account.
    #[arg(long)]
    pub username: String,
    /// The provider's `sub` for the person.
    #[arg(long)]
    pub subject: String,
    /// The provider's issuer URL; default: `oidc.issuer_url` of the configuration.
    #[arg(long)]
    pub issuer: Option<String>,
}

/// Arguments of `varsel user unlink-oidc`.
#[derive(Debug, Args)]
pub struct UnlinkOidcArgs {
    /// Login name of the account.
    #[arg(long)]
    pub username: String,
}

/// An account, by login name.
#[derive(Debug, Args)]
pub struct UserNameArgs {
    /// Login name.
    #[arg(long)]
    pub username: String,
}

/// Arguments of `varsel user roles`.
#[derive(Debug, Args)]
pub struct UserRolesArgs {
    /// Login name.
    #[arg(long)]
    pub username: String,
    /// Role: handler, contact, admin, auditor or custodian. May be repeated;
    /// the account gets exactly these.
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
}

/// Arguments of `varsel user passwd`.
#[derive(Debug, Args)]
pub struct UserPasswdArgs {
    /// Login name.
    #[arg(long)]
    pub username: String,
    /// File whose first line is the current password.
    #[arg(long, value_name = "FILE")]
    pub password_file: PathBuf,
    /// File whose first line is the new password (at least 12 characters).
    #[arg(long, value_name = "FILE")]
    pub new_password_file: PathBuf,
}

/// `varsel recovery …`.
#[derive(Debug, Subcommand)]
pub enum RecoveryCommand {
    /// Give a staff member who lost their password a new key and the cases
    /// routed to them that the recovery key opens.
    Grant(RecoveryGrantArgs),
}

/// Arguments of `varsel recovery grant`.
#[derive(Debug, Args)]
pub struct RecoveryGrantArgs {
    /// The recovery identity file (`AGE-SECRET-KEY-1…`, `#` comments allowed).
    #[arg(long, value_name = "FILE")]
    pub identity_file: PathBuf,
    /// Login name of the staff member.
    #[arg(long)]
    pub username: String,
    /// File whose first line is the new password (at least 12 characters).
    #[arg(long, value_name = "FILE")]
    pub new_password_file: PathBuf,
}

/// Arguments of `varsel user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Login name.
    #[arg(long)]
    pub username: String,
    /// Role: handler, contact, admin, auditor or custodian (keeps reporters' identities). May be repeated.
    #[arg(long = "role", required = true)]
    pub roles: Vec<String>,
    /// File whose first line is the password (at least 12 characters).
    #[arg(long, value_name = "FILE")]
    pub password_file: PathBuf,
    /// Group membership. May be repeated.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Name shown to colleagues (and to reporters choosing whom to exclude).
    #[arg(long)]
    pub display_name: Option<String>,
    /// E-mail address for notifications.
    #[arg(long)]
    pub email: Option<String>,
}

/// `varsel recovery-key …`.
#[derive(Debug, Subcommand)]
pub enum RecoveryKeyCommand {
    /// Generate the recovery key: print the identity once, store the recipient.
    Init(RecoveryKeyInitArgs),
}

/// Arguments of `varsel recovery-key init`.
#[derive(Debug, Args)]
pub struct RecoveryKeyInitArgs {
    /// Replace an existing recovery key (new cases only).
    #[arg(long)]
    pub replace: bool,
    /// Use this recipient (`age1…`, from `varsel keygen` run offline) instead
    /// of generating an identity here.
    #[arg(long, value_name = "RECIPIENT")]
    pub recipient: Option<String>,
}

/// `varsel audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the chain: print the entry count, or name the first broken entry
    /// and exit non-zero.
    Verify,
}

/// `varsel attachments …`.
#[derive(Debug, Subcommand)]
pub enum AttachmentsCommand {
    /// Remove attachment files that no attachment row names (left by a
    /// crash or by older versions) and unfinished uploads. The service does
    /// this at start and every minute, for files older than 15 minutes.
    Sweep(SweepArgs),
}

/// Arguments of `varsel attachments sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Only remove files at least this many seconds old. Files younger than
    /// a request may take belong to requests in flight: use 0 only while no
    /// instance of the service is running.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub min_age: u64,
}

/// Arguments of `varsel purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// List the cases that would be deleted, and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `varsel notifications …`.
#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// Print how many notifications are pending, sent, retrying and failed.
    Status,
}
