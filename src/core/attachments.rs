//! Attachments: streamed in, stripped of image metadata
//! ([`crate::core::metadata`]) and encrypted chunk by chunk to the case recipient
//! into `<data>/attachments/<id>.part`, renamed to `<id>.age` when the request
//! that carried it succeeds, and streamed out decrypted. Plaintext never
//! touches the disk and a file is never held whole in memory.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::core::metadata::{Outcome, Stripper};
use crate::core::private_fs;
use bytes::Bytes;
use tokio::sync::mpsc;
use uuid::Uuid;
use varsel_crypto::{AnyIdentity, AnyRecipient, Decryptor, Encryptor, Recipient};

/// Path of a committed attachment.
pub fn path(dir: &Path, id: Uuid) -> PathBuf {
    dir.join(format!("{id}.age"))
}

fn part_path(dir: &Path, id: Uuid) -> PathBuf {
    dir.join(format!("{id}.part"))
}

/// An attachment being received.
pub struct Upload {
    /// The attachment id.
    pub id: Uuid,
    dir: PathBuf,
    sender: Option<mpsc::Sender<Bytes>>,
    worker: tokio::task::JoinHandle<Result<(u64, Outcome)>>,
    received: u64,
}

impl Upload {
    /// Starts encrypting an upload to `recipient` in a blocking worker.
    pub fn begin(dir: &Path, recipient: &AnyRecipient) -> Result<Self> {
        let recipient = recipient.clone();
        Self::start(dir, move |file, receiver| {
            let encryptor = Encryptor::with_recipients([&recipient as &dyn Recipient])?;
            let writer = encryptor.wrap_output(BufWriter::with_capacity(64 * 1024, file))?;
            // Image metadata is removed before encryption, as it streams.
            let mut writer = Stripper::new(writer);
            while let Some(chunk) = receiver.blocking_recv() {
                writer
                    .write_all(&chunk)
                    .context("cannot write the attachment")?;
            }
            let (writer, metadata) = writer.finish().context("cannot write the attachment")?;
            let mut inner = writer.finish()?;
            inner.flush()?;
            let file = inner.into_inner().map_err(|e| e.into_error())?;
            Ok((file, metadata))
        })
    }

    /// Starts storing an upload that arrives already encrypted (an age file
    /// the reporter's browser made; `crate::core::sealed`): written as it
    /// comes, nothing stripped (the server cannot see inside it).
    pub fn begin_sealed(dir: &Path) -> Result<Self> {
        Self::start(dir, |file, receiver| {
            let mut writer = BufWriter::with_capacity(64 * 1024, file);
            while let Some(chunk) = receiver.blocking_recv() {
                writer
                    .write_all(&chunk)
                    .context("cannot write the attachment")?;
            }
            writer.flush()?;
            let file = writer.into_inner().map_err(|e| e.into_error())?;
            Ok((file, Outcome::Kept))
        })
    }

    /// Creates the part file and runs `write` on it in a blocking worker,
    /// fed the chunks as they arrive; `write` hands back the file and the
    /// metadata outcome, and the file is synced.
    fn start<F>(dir: &Path, write: F) -> Result<Self>
    where
        F: FnOnce(File, &mut mpsc::Receiver<Bytes>) -> Result<(File, Outcome)> + Send + 'static,
    {
        private_fs::create_private_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let id = Uuid::new_v4();
        let target = part_path(dir, id);
        let (sender, mut receiver) = mpsc::channel::<Bytes>(8);
        let worker = tokio::task::spawn_blocking(move || -> Result<(u64, Outcome)> {
            let file = private_fs::create_private_file(&target)
                .context("cannot create the attachment file")?;
            let (file, metadata) = write(file, &mut receiver)?;
            file.sync_all()?;
            Ok((file.metadata()?.len(), metadata))
        });
        Ok(Upload {
            id,
            dir: dir.to_path_buf(),
            sender: Some(sender),
            worker,
            received: 0,
        })
    }

    /// Bytes received so far (plaintext, or ciphertext for a sealed upload).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Feeds a chunk of plaintext.
    pub async fn feed(&mut self, chunk: Bytes) -> Result<()> {
        self.received += chunk.len() as u64;
        let sender = self.sender.as_ref().context("upload already finished")?;
        sender
            .send(chunk)
            .await
            .map_err(|_| anyhow::anyhow!("the attachment writer stopped"))
    }

    /// Finishes encryption; returns the pending attachment (size of the ciphertext).
    pub async fn finish(mut self) -> Result<PendingAttachment> {
        self.sender = None;
        let (size, metadata) = self.worker.await.context("attachment worker failed")??;
        Ok(PendingAttachment {
            id: self.id,
            dir: self.dir,
            size,
            metadata,
        })
    }

    /// Abandons the upload and removes its partial file.
    pub async fn abort(mut self) {
        self.sender = None;
        let _ = self.worker.await;
        let _ = tokio::fs::remove_file(part_path(&self.dir, self.id)).await;
    }
}

/// An encrypted attachment on disk, not yet part of a case.
pub struct PendingAttachment {
    /// The attachment id.
    pub id: Uuid,
    dir: PathBuf,
    /// Size of the ciphertext.
    pub size: u64,
    /// Whether image metadata was removed before encryption.
    pub metadata: Outcome,
}

impl PendingAttachment {
    /// Makes the file permanent (after its database row was written).
    pub async fn commit(&self) -> Result<()> {
        tokio::fs::rename(part_path(&self.dir, self.id), path(&self.dir, self.id))
            .await
            .context("cannot commit the attachment")
    }

    /// Gives the committed file the fixed times (after its row was stored):
    /// its own say when it was uploaded (SPEC §3.5). Until then the real
    /// modification time is what tells the sweep a file in flight from a
    /// leftover. Best effort: the sweep settles any file it finds unsettled.
    pub async fn settle(&self) {
        let file = path(&self.dir, self.id);
        let _ = tokio::task::spawn_blocking(move || settle_file(&file)).await;
    }

    /// Removes the committed file again (when its row could not be stored).
    pub async fn remove_committed(&self) {
        let _ = tokio::fs::remove_file(path(&self.dir, self.id)).await;
    }

    /// Where the file is until it is committed.
    pub fn pending_path(&self) -> PathBuf {
        part_path(&self.dir, self.id)
    }

    /// Removes the file.
    pub async fn discard(&self) {
        let _ = tokio::fs::remove_file(part_path(&self.dir, self.id)).await;
    }
}

/// Streams the decrypted content of an attachment.
pub fn stream_decrypted(
    file: PathBuf,
    case_identity: AnyIdentity,
) -> mpsc::Receiver<Result<Bytes, std::io::Error>> {
    let (sender, receiver) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let run = || -> Result<(), std::io::Error> {
            let f = File::open(&file)?;
            // Reading sets the access time; put the fixed one back after.
            let _restore = RestoreTimes(f.try_clone()?);
            let decryptor = Decryptor::new(f).map_err(std::io::Error::other)?;
            let mut reader = decryptor
                .decrypt([&case_identity as &dyn varsel_crypto::Identity])
                .map_err(std::io::Error::other)?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                if sender
                    .blocking_send(Ok(Bytes::copy_from_slice(&buf[..n])))
                    .is_err()
                {
                    return Ok(());
                }
            }
        };
        if let Err(e) = run() {
            tracing::error!(error = %e, "attachment download failed");
            let _ = sender.blocking_send(Err(e));
        }
    });
    receiver
}

/// Decrypts the attachment file at `file` into `sink` in 64 KiB steps
/// (never whole in memory, never on disk) and puts its fixed times back;
/// the number of plaintext bytes written.
pub fn copy_decrypted(
    file: &Path,
    case_identity: &AnyIdentity,
    sink: &mut dyn Write,
) -> Result<u64, std::io::Error> {
    let f = File::open(file)?;
    let _restore = RestoreTimes(f.try_clone()?);
    let decryptor = Decryptor::new(f).map_err(std::io::Error::other)?;
    let mut reader = decryptor
        .decrypt([case_identity as &dyn varsel_crypto::Identity])
        .map_err(std::io::Error::other)?;
    std::io::copy(&mut reader, sink)
}

/// Sets the fixed times and mode 0600 on a stored file; logs a failure.
fn settle_file(file: &Path) {
    let result = File::open(file)
        .and_then(|f| private_fs::set_fixed_times(&f))
        .and_then(|()| private_fs::narrow(file, private_fs::FILE_MODE));
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot set an attachment's fixed times");
    }
}

/// Puts the fixed times back on a file when dropped (after it was read).
struct RestoreTimes(File);

impl Drop for RestoreTimes {
    fn drop(&mut self) {
        if let Err(e) = private_fs::set_fixed_times(&self.0) {
            tracing::warn!(error = %e, "cannot reset an attachment's access time");
        }
    }
}

/// Removes `*.part` files older than `age`: uploads whose request died before
/// it could remove them itself (client gone, server stopped). Returns how many.
pub fn sweep_stale_parts(dir: &Path, age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "part") {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|elapsed| elapsed >= age);
        if stale && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Age below which a file is never swept: it may belong to a request in
/// flight on some instance (an upload still streaming, or a submission
/// between renaming its files into place and committing their rows).
pub const ORPHAN_MIN_AGE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Unfinished uploads (`*.part`).
    pub parts: usize,
    /// Committed files without an attachment row (`*.age`).
    pub orphans: usize,
}

/// Removes, among files older than `min_age`, every `*.part` file and every
/// `*.age` file that no attachment row names: what a crash (or an older
/// version, which wrote files before their rows) left behind. Younger files
/// are kept, since they may belong to a request in flight.
pub async fn sweep_orphans(
    store: &dyn crate::core::store::Store,
    dir: &Path,
    min_age: std::time::Duration,
) -> crate::core::store::StoreResult<Swept> {
    let parts = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || sweep_stale_parts(&dir, min_age))
            .await
            .unwrap_or(0)
    };
    let candidates = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || old_committed_files(&dir, min_age))
            .await
            .unwrap_or_default()
    };
    let mut orphans = 0;
    for chunk in candidates.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
        let known = store.existing_attachments(&ids).await?;
        for (id, file) in chunk {
            if known.contains(id) {
                // A crash between its row and `settle`, or an older version.
                if !has_fixed_times(file) {
                    let file = file.clone();
                    let _ = tokio::task::spawn_blocking(move || settle_file(&file)).await;
                }
            } else if tokio::fs::remove_file(file).await.is_ok() {
                orphans += 1;
            }
        }
    }
    if parts + orphans > 0 {
        tracing::info!(parts, orphans, "removed attachment files without a row");
    }
    Ok(Swept { parts, orphans })
}

/// True if the file has the fixed modification and access times and a mode
/// no wider than 0600.
fn has_fixed_times(file: &Path) -> bool {
    std::fs::metadata(file).is_ok_and(|m| {
        #[cfg(unix)]
        let private = {
            use std::os::unix::fs::PermissionsExt;
            m.permissions().mode() & 0o077 == 0
        };
        #[cfg(not(unix))]
        let private = true;
        private
            && m.modified().ok() == Some(private_fs::FIXED_FILE_TIME)
            && m.accessed().ok() == Some(private_fs::FIXED_FILE_TIME)
    })
}

/// The `<uuid>.age` files in `dir` older than `min_age`.
fn old_committed_files(dir: &Path, min_age: std::time::Duration) -> Vec<(Uuid, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "age") {
                return None;
            }
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| Uuid::parse_str(s).ok())?;
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|elapsed| elapsed >= min_age);
            old.then_some((id, path))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stale_part_files_are_swept() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("a.part"), b"x").expect("write");
        std::fs::write(dir.path().join("b.age"), b"x").expect("write");
        assert_eq!(
            sweep_stale_parts(dir.path(), std::time::Duration::from_secs(3600)),
            0
        );
        assert_eq!(sweep_stale_parts(dir.path(), std::time::Duration::ZERO), 1);
        assert!(!dir.path().join("a.part").exists());
        assert!(dir.path().join("b.age").exists(), "committed files stay");
    }
}
