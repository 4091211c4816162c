//! Builds the browser script (`src/web/script/`) into one bundle,
//! `$OUT_DIR/varsel-e2e.js`, with its Subresource Integrity string in
//! `$OUT_DIR/varsel-e2e.js.sri`, and sets `cfg(varsel_script)` so the service
//! embeds and serves it (`src/web/script.rs`).
//!
//! The package files and sources are copied into `$OUT_DIR/script/` (the
//! source tree is never written), installed there with `npm ci` from the
//! committed `package-lock.json` (install scripts off: esbuild's JavaScript
//! launcher finds its platform binary, an optional dependency, by itself),
//! and bundled by the pinned esbuild.
//!
//! Without Node.js and npm, offline on the first build, or on any error the
//! build goes on without the bundle: a `cargo:warning` says why, and the
//! service encrypts every report on the server at receipt (and says so at
//! start-up). `VARSEL_NO_SCRIPT=1` skips the bundle on purpose.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use sha2::Digest as _;

/// Where the script's package lives, relative to the package root.
const SCRIPT_DIR: &str = "src/web/script";
/// Browsers the bundle is compiled for: current Chromium, Firefox and Safari,
/// and Firefox 115 ESR onwards, which covers Tor Browser since 13.5.
const TARGETS: &str = "chrome111,edge111,firefox115,safari16.4";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(varsel_script)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={SCRIPT_DIR}/package.json");
    println!("cargo:rerun-if-changed={SCRIPT_DIR}/package-lock.json");
    println!("cargo:rerun-if-changed={SCRIPT_DIR}/src");
    println!("cargo:rerun-if-env-changed=VARSEL_NO_SCRIPT");

    if std::env::var_os("VARSEL_NO_SCRIPT").is_some_and(|v| v == "1") {
        off("VARSEL_NO_SCRIPT=1 is set", "");
        return;
    }
    match build() {
        Ok(()) => println!("cargo:rustc-cfg=varsel_script"),
        Err(why) => off(
            &why,
            &format!(" (fix it, then `touch {SCRIPT_DIR}/package.json` to build it again)"),
        ),
    }
}

/// Says that the service will run without the bundle, and why.
fn off(why: &str, retry: &str) {
    println!(
        "cargo:warning=browser encryption is off: {why}; every report will be encrypted on the \
         server at receipt{retry}"
    );
}

fn build() -> Result<(), String> {
    let root = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env("OUT_DIR")?);
    let source = root.join(SCRIPT_DIR);
    let work = out.join("script");

    // Install only when the lockfile changed since the last install here.
    let lock = read(&source.join("package-lock.json"))?;
    let installed = work.join("node_modules/.varsel-installed-lock.json");
    let fresh = fs::read(&installed).is_ok_and(|previous| previous == lock)
        && work.join("node_modules/.bin").is_dir();

    fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    copy(&source.join("package.json"), &work.join("package.json"))?;
    copy(
        &source.join("package-lock.json"),
        &work.join("package-lock.json"),
    )?;
    let src = work.join("src");
    if src.exists() {
        fs::remove_dir_all(&src).map_err(|e| format!("cannot clear {}: {e}", src.display()))?;
    }
    copy_dir(&source.join("src"), &src)?;

    if !fresh {
        run(
            Command::new(npm())
                .args([
                    "ci",
                    "--no-audit",
                    "--no-fund",
                    "--ignore-scripts",
                    "--loglevel=error",
                    "--fetch-retries=1",
                    "--fetch-timeout=60000",
                ])
                .current_dir(&work),
            "npm ci",
        )?;
        fs::write(&installed, &lock)
            .map_err(|e| format!("cannot write {}: {e}", installed.display()))?;
    }

    let bundle = out.join("varsel-e2e.js");
    let esbuild = work.join("node_modules/esbuild/bin/esbuild");
    run(
        Command::new(node())
            .arg(&esbuild)
            .args([
                "src/main.js",
                "--bundle",
                "--format=iife",
                "--minify",
                "--legal-comments=none",
                "--log-level=error",
            ])
            .arg(format!("--target={TARGETS}"))
            .arg(format!("--outfile={}", bundle.display()))
            .current_dir(&work),
        "esbuild",
    )?;

    let bytes = read(&bundle)?;
    if bytes.is_empty() {
        return Err("esbuild wrote an empty bundle".to_owned());
    }
    let digest = sha2::Sha384::digest(&bytes);
    let sri = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    );
    fs::write(out.join("varsel-e2e.js.sri"), sri)
        .map_err(|e| format!("cannot write the integrity file: {e}"))?;
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

fn node() -> &'static str {
    "node"
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(bytes)
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {}: {e}", from.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            copy(&path, &target)?;
        }
    }
    Ok(())
}

/// Runs a command quietly; on failure, its last lines of output become the reason.
fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!(
                    "{} was not found (install Node.js and npm)",
                    command.get_program().to_string_lossy()
                )
            }
            _ => format!("cannot run {what}: {e}"),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    Err(format!(
        "{what} failed ({}): {}",
        output.status,
        reason(&text)
    ))
}

/// The line of a tool's output that says what went wrong (npm's error, an
/// esbuild `[ERROR]`), without stack frames or log-file hints.
fn reason(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches("npm error").trim())
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("at ")
                && !l.starts_with("A complete log")
                && !["code ", "syscall ", "errno ", "node:"]
                    .iter()
                    .any(|p| l.starts_with(p))
        })
        .collect();
    lines
        .iter()
        .find(|l| l.contains("ERROR") || l.contains("Error") || l.contains("error"))
        .or(lines.first())
        .map_or_else(|| "no output".to_owned(), |l| (*l).to_owned())
}
