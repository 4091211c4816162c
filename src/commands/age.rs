//! `varsel keygen`, `varsel encrypt` and `varsel decrypt`: the age command's
//! conventions (stdin/stdout by default, `-o` for output, one-line errors).

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use varsel_crypto::{
    AnyIdentity, AnyRecipient, ArmoredWriter, DecryptError, Decryptor, EncryptError, Encryptor,
    HybridIdentity, Identity, Recipient, ScryptIdentity, ScryptRecipient, X25519Identity,
};
use zeroize::Zeroizing;

use crate::cli::{DecryptArgs, EncryptArgs, KeygenArgs};

/// Opens `path` for writing without ever replacing an existing file, mode 0600.
pub(crate) fn create_new_private(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// `varsel keygen [--pq] [-o FILE]`.
pub fn keygen(args: &KeygenArgs) -> Result<()> {
    let identity = if args.pq {
        AnyIdentity::Hybrid(HybridIdentity::generate())
    } else {
        AnyIdentity::X25519(X25519Identity::generate())
    };
    let recipient = identity.to_public();
    let created = humantime_now();
    let mut text = Zeroizing::new(String::new());
    text.push_str(&format!(
        "# created: {created}\n# public key: {recipient}\n"
    ));
    text.push_str(&identity.to_bech32());
    text.push('\n');
    match &args.output {
        Some(path) => {
            let mut file = create_new_private(path)?;
            file.write_all(text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Public key: {recipient}");
        }
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())
                .context("cannot write to stdout")?;
            if !io::stdout().is_terminal() {
                eprintln!("Public key: {recipient}");
            }
        }
    }
    Ok(())
}

/// RFC 3339 UTC timestamp for the identity file comment, without a date crate.
fn humantime_now() -> String {
    let secs = u64::try_from(crate::core::clock::system_now()).unwrap_or(0);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) civil date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn open_input(input: Option<&PathBuf>) -> Result<Box<dyn Read>> {
    match input {
        Some(path) if path.as_os_str() != "-" => {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            Ok(Box::new(file))
        }
        _ => Ok(Box::new(io::stdin().lock())),
    }
}

/// Where output goes; a file created for it is removed again if the command fails,
/// so a failed decryption leaves nothing half-written behind.
struct Output {
    writer: Box<dyn Write>,
    created: Option<PathBuf>,
}

impl Output {
    fn open(path: Option<&PathBuf>, binary: bool) -> Result<Self> {
        match path {
            Some(p) if p.as_os_str() != "-" => {
                let file = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(p)
                    .with_context(|| format!("cannot create {}", p.display()))?;
                Ok(Output {
                    writer: Box::new(BufWriter::with_capacity(64 * 1024, file)),
                    created: Some(p.clone()),
                })
            }
            _ => {
                if binary && io::stdout().is_terminal() {
                    bail!("refusing to write binary output to a terminal; use -a or -o");
                }
                Ok(Output {
                    writer: Box::new(BufWriter::with_capacity(64 * 1024, io::stdout().lock())),
                    created: None,
                })
            }
        }
    }

    fn discard(self) {
        drop(self.writer);
        if let Some(path) = self.created {
            let _ = std::fs::remove_file(path);
        }
    }
}

pub(crate) fn read_passphrase_file(path: &Path) -> Result<Zeroizing<String>> {
    let mut content = Zeroizing::new(String::new());
    File::open(path)
        .and_then(|mut f| f.read_to_string(&mut content))
        .with_context(|| format!("cannot read passphrase file {}", path.display()))?;
    let line = Zeroizing::new(content.lines().next().unwrap_or("").to_owned());
    if line.is_empty() {
        bail!("the passphrase file {} is empty", path.display());
    }
    Ok(line)
}

pub(crate) fn prompt_passphrase(confirm: bool) -> Result<Zeroizing<String>> {
    let first = Zeroizing::new(
        rpassword::prompt_password("Enter passphrase: ")
            .context("cannot read a passphrase from the terminal; use --passphrase-file")?,
    );
    if first.is_empty() {
        bail!("the passphrase is empty");
    }
    if confirm {
        let second = Zeroizing::new(
            rpassword::prompt_password("Confirm passphrase: ")
                .context("cannot read a passphrase from the terminal")?,
        );
        if *first != *second {
            bail!("the passphrases do not match");
        }
    }
    Ok(first)
}

/// Parses a recipients file: one `age1…` or `age1pq1…` per line, `#` comments
/// and blank lines ignored.
fn read_recipients_file(path: &Path) -> Result<Vec<AnyRecipient>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read recipients file {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let r = line
            .parse()
            .with_context(|| format!("{}: line {}: invalid recipient", path.display(), n + 1))?;
        out.push(r);
    }
    if out.is_empty() {
        bail!("the recipients file {} lists no recipient", path.display());
    }
    Ok(out)
}

/// `varsel encrypt`.
pub fn encrypt(args: &EncryptArgs) -> Result<()> {
    let mut keys: Vec<AnyRecipient> = Vec::new();
    for r in &args.recipients {
        keys.push(
            r.parse::<AnyRecipient>()
                .with_context(|| format!("invalid recipient {}", abbreviate(r)))?,
        );
    }
    for path in &args.recipients_files {
        keys.extend(read_recipients_file(path)?);
    }
    let use_passphrase = args.passphrase || args.passphrase_file.is_some();
    let passphrase_recipient;
    let recipients: Vec<&dyn Recipient> = if use_passphrase {
        if !keys.is_empty() {
            bail!("-p/--passphrase-file cannot be combined with recipients");
        }
        let passphrase = match &args.passphrase_file {
            Some(path) => read_passphrase_file(path)?,
            None => prompt_passphrase(true)?,
        };
        passphrase_recipient = ScryptRecipient::new(passphrase.as_bytes());
        vec![&passphrase_recipient]
    } else {
        if keys.is_empty() {
            bail!("missing recipients: use -r, -R or -p");
        }
        keys.iter().map(|r| r as &dyn Recipient).collect()
    };
    let encryptor = Encryptor::with_recipients(recipients).map_err(|e| match e {
        EncryptError::MixedPostQuantum => {
            anyhow!("post-quantum (age1pq1…) recipients cannot be combined with other recipients")
        }
        other => anyhow!(other),
    })?;
    let mut input = BufReader::with_capacity(64 * 1024, open_input(args.input.as_ref())?);
    let output = Output::open(args.output.as_ref(), !args.armor)?;
    let created = output.created.clone();
    let result = (|| -> Result<()> {
        let Output { writer, .. } = output;
        if args.armor {
            let mut w = encryptor.wrap_output(ArmoredWriter::new(writer))?;
            io::copy(&mut input, &mut w).context("encryption failed")?;
            w.finish()?.finish()?.flush()?;
        } else {
            let mut w = encryptor.wrap_output(writer)?;
            io::copy(&mut input, &mut w).context("encryption failed")?;
            w.finish()?.flush()?;
        }
        Ok(())
    })();
    if result.is_err() {
        if let Some(path) = created {
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

/// A recipient string for an error message: post-quantum ones are about two
/// thousand characters long, so only their start is shown.
fn abbreviate(s: &str) -> String {
    const SHOWN: usize = 24;
    match s.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}", format!("{}…", &s[..cut])),
        None => format!("{s:?}"),
    }
}

/// Parses an identity file: `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`
/// lines, `#` comments and blank lines ignored.
fn read_identity_file(path: &Path) -> Result<Vec<AnyIdentity>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read identity file {}", path.display()))?,
    );
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = AnyIdentity::from_bech32(line)
            .map_err(|e| anyhow!("{}: line {}: {e}", path.display(), n + 1))?;
        out.push(id);
    }
    if out.is_empty() {
        bail!("the identity file {} holds no identity", path.display());
    }
    Ok(out)
}

fn explain(err: DecryptError) -> anyhow::Error {
    match err {
        DecryptError::NoMatch => anyhow!("no identity matched any of the recipients"),
        other => anyhow!(other),
    }
}

/// `varsel decrypt`.
pub fn decrypt(args: &DecryptArgs) -> Result<()> {
    let mut identities: Vec<AnyIdentity> = Vec::new();
    for path in &args.identities {
        identities.extend(read_identity_file(path)?);
    }
    let input = open_input(args.input.as_ref())?;
    let decryptor = Decryptor::new(input).map_err(explain)?;
    let scrypt_identity;
    let ids: Vec<&dyn Identity> = if decryptor.is_passphrase() {
        if !identities.is_empty() {
            bail!("the file is passphrase-encrypted but identities were given");
        }
        let passphrase = match &args.passphrase_file {
            Some(path) => read_passphrase_file(path)?,
            None => prompt_passphrase(false)?,
        };
        scrypt_identity = ScryptIdentity::new(passphrase.as_bytes());
        vec![&scrypt_identity]
    } else {
        if identities.is_empty() {
            bail!("missing identities: use -i");
        }
        identities.iter().map(|i| i as &dyn Identity).collect()
    };
    let mut reader = decryptor.decrypt(ids).map_err(explain)?;
    let mut output = Output::open(args.output.as_ref(), false)?;
    let copied = io::copy(&mut reader, &mut output.writer)
        .map_err(|e| explain(DecryptError::from_io(e)))
        .and_then(|_| output.writer.flush().context("cannot write output"));
    match copied {
        Ok(()) => Ok(()),
        Err(e) => {
            output.discard();
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{abbreviate, civil_from_days};

    #[test]
    fn long_recipients_are_abbreviated_in_errors() {
        assert_eq!(abbreviate("age1xyz"), "\"age1xyz\"");
        let long = format!("age1pq1{}", "q".repeat(2000));
        let shown = abbreviate(&long);
        assert!(shown.len() < 40, "{shown}");
        assert!(shown.starts_with("\"age1pq1"));
        assert_eq!(abbreviate(&"æ".repeat(30)).chars().count(), 24 + 3);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
    }
}
