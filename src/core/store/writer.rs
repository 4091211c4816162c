//! The channel between a store and its writer task (see `store::batch`):
//! what waits to be written, and how a batch is gathered.

use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use super::model::notifications::NewNotification;
use super::model::{AuditRecord, NewCase, StoreError, StoreResult};

/// The most cases written in one transaction.
pub const MAX_BATCH: usize = 256;

/// The most rows in one multi-row `INSERT` (well below both backends'
/// limits on bound parameters).
pub(super) const ROWS_PER_INSERT: usize = 500;

/// Cases waiting for the writer.
const QUEUE: usize = 4096;

/// A case waiting to be stored, with its audit entry and whom to answer.
pub(super) struct Pending {
    pub(super) new: NewCase,
    pub(super) audit: Option<AuditRecord>,
    pub(super) notices: Vec<NewNotification>,
    pub(super) reply: oneshot::Sender<StoreResult<()>>,
}

/// The handle on a store's writer task, started on first use (and again if
/// the runtime it ran on has gone).
#[derive(Default)]
pub(super) struct Writer {
    sender: Mutex<Option<mpsc::Sender<Pending>>>,
    /// Off: every case is written in a transaction of its own (for measuring).
    pub(super) disabled: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

impl Writer {
    /// The channel to the writer, starting it with `start` if there is none
    /// or it stopped.
    pub(super) fn sender(
        &self,
        start: impl FnOnce(mpsc::Receiver<Pending>),
    ) -> mpsc::Sender<Pending> {
        let mut sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        match &*sender {
            Some(s) if !s.is_closed() => s.clone(),
            _ => {
                let (tx, rx) = mpsc::channel(QUEUE);
                start(rx);
                *sender = Some(tx.clone());
                tx
            }
        }
    }
}

/// The error every waiter of a failed batch gets (a `StoreError` is not
/// `Clone`): unavailable if the database was, otherwise a database error.
pub(super) fn shared_failure(e: &StoreError) -> StoreError {
    let text = e.to_string();
    match e {
        StoreError::Unavailable(_) => StoreError::Unavailable(sqlx::Error::Protocol(text)),
        _ => StoreError::Database(sqlx::Error::Protocol(text)),
    }
}

/// A case to write, with its audit entry and notifications.
pub(super) type Cased<'a> = (&'a NewCase, Option<&'a AuditRecord>, &'a [NewNotification]);

/// Receives the next batch: waits for one case, then takes whatever else is
/// already waiting, up to [`MAX_BATCH`].
pub(super) async fn next_batch(receiver: &mut mpsc::Receiver<Pending>) -> Option<Vec<Pending>> {
    let first = receiver.recv().await?;
    let mut batch = Vec::with_capacity(16);
    batch.push(first);
    while batch.len() < MAX_BATCH {
        match receiver.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    Some(batch)
}
