//! Shared helpers for the black-box tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `varsel` binary under test.
pub fn varsel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_varsel"))
}

/// Runs `varsel` with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = varsel()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn varsel");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for varsel");
    writer.join().expect("stdin writer");
    out
}

/// Asserts failure with exactly one line on stderr, and returns that line.
pub fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure, got success");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.starts_with("varsel: error: "), "stderr: {stderr}");
    stderr.trim_end().to_owned()
}

/// The repository's copy of the C2SP age vectors.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crypto/tests/testdata/age")
}
