//! Forms with attachments (`multipart/form-data`), read as a stream: text
//! fields are bounded, files are encrypted chunk by chunk to the case as they
//! arrive, and on any failure every partial file is removed. For HTML forms
//! the CSRF token must be the first field, so nothing is accepted before it is
//! checked.

use std::collections::HashMap;
use std::path::Path;

use actix_multipart::{Multipart, MultipartError};
use futures_util::StreamExt;
use varsel_crypto::AnyRecipient;

use crate::core::attachments::Upload;
use crate::core::casework::IncomingFile;
use crate::core::limits::{UploadGate, UploadRefusal};
use crate::core::settings::LimitSettings;

/// Why a multipart form was refused.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// The CSRF token is missing, not first, or wrong.
    #[error("csrf")]
    Csrf,
    /// A file is larger than the limit.
    #[error("attachment too large")]
    AttachmentTooLarge,
    /// More files than allowed.
    #[error("too many attachments")]
    TooManyAttachments,
    /// The text fields together exceed the body limit.
    #[error("form too large")]
    TooLarge,
    /// A text field is not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// The body is not a valid multipart form.
    #[error("malformed form")]
    Malformed,
    /// The storage quota would be passed.
    #[error("storage quota reached")]
    StorageFull,
    /// The hourly budget of anonymous uploads is spent.
    #[error("hourly upload budget spent")]
    UploadBudget,
    /// A chosen file is empty (0 bytes).
    #[error("empty attachment")]
    EmptyAttachment,
    /// Server-side failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<UploadRefusal> for FormError {
    fn from(refusal: UploadRefusal) -> Self {
        match refusal {
            UploadRefusal::StorageFull => FormError::StorageFull,
            UploadRefusal::HourlyBudget => FormError::UploadBudget,
            UploadRefusal::Store(e) => FormError::Internal(e.into()),
        }
    }
}

/// A parsed form: text fields by name (repeatable) and encrypted files.
pub struct FormWithFiles {
    fields: HashMap<String, Vec<String>>,
    /// The binary `report` part of a browser-encrypted form
    /// ([`read_sealed_form`]): an age file, not text.
    pub report: Option<Vec<u8>>,
    /// Uploaded files, encrypted, not yet committed.
    pub files: Vec<IncomingFile>,
}

impl FormWithFiles {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> &[String] {
        self.fields.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Removes the uploaded files (when the form is rejected after reading).
    pub async fn discard(&self) {
        for f in &self.files {
            f.pending.discard().await;
        }
    }
}

impl Drop for FormWithFiles {
    fn drop(&mut self) {
        for values in self.fields.values_mut() {
            for v in values.iter_mut() {
                zeroize::Zeroize::zeroize(v);
            }
        }
    }
}

/// Bytes read past a refusal, at most, to deliver the error page.
const MAX_DRAIN_BYTES: usize = 8 * 1024 * 1024;
/// What each part costs against the text budget besides its value, so that a
/// flood of empty or uniquely named parts is bounded like text is.
const PART_OVERHEAD_BYTES: usize = 64;

/// Field name of attachments.
pub const FILE_FIELD: &str = "attachment";
/// Field name of the binary report of a browser-encrypted form.
pub const SEALED_REPORT_FIELD: &str = "report";
/// Field name of the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// Reads a multipart form. `csrf`: the session's token when the form comes
/// from a browser (must be the first field), `None` for bearer-token API calls.
/// Every byte of its files passes `gate` (the storage quota and, for
/// reporters, the hourly upload budget) before it is written.
pub async fn read_form(
    payload: Multipart,
    csrf: Option<&str>,
    recipient: &AnyRecipient,
    attachments_dir: &Path,
    limits: &LimitSettings,
    max_files: usize,
    gate: &mut UploadGate<'_>,
) -> Result<FormWithFiles, FormError> {
    read_form_keeping_text(
        payload,
        csrf,
        recipient,
        attachments_dir,
        limits,
        max_files,
        gate,
    )
    .await
    .map_err(|refused| refused.error)
}

/// A refused form: why, and the text fields read before the failure (its
/// files already removed), so a page can be shown again without losing what
/// the user wrote.
pub struct RefusedForm {
    /// Why the form was refused.
    pub error: FormError,
    /// Text fields read before the failure; no files.
    pub partial: FormWithFiles,
}

/// The parts of a multipart body, ending at the first error: actix's
/// `Multipart` panics when polled again after some errors (a body whose
/// `Content-Type` has no boundary), which would drop the connection.
struct Parts {
    inner: Multipart,
    ended: bool,
}

impl Parts {
    async fn next(&mut self) -> Option<Result<actix_multipart::Field, MultipartError>> {
        if self.ended {
            return None;
        }
        let item = self.inner.next().await;
        if !matches!(item, Some(Ok(_))) {
            self.ended = true;
        }
        item
    }

    /// The next field with its name and file name (`None` for a text
    /// field). The name and a part's overhead count against the text limit
    /// kept in `text_bytes`.
    async fn next_field(
        &mut self,
        text_bytes: &mut usize,
        limits: &LimitSettings,
    ) -> Result<Option<(actix_multipart::Field, String, Option<String>)>, FormError> {
        let Some(field) = self.next().await else {
            return Ok(None);
        };
        let field = field.map_err(|_| FormError::Malformed)?;
        let name = field.name().unwrap_or("").to_owned();
        *text_bytes += name.len() + PART_OVERHEAD_BYTES;
        if *text_bytes > limits.max_body_bytes {
            return Err(FormError::TooLarge);
        }
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        Ok(Some((field, name, filename)))
    }
}

/// Like [`read_form`], but a refusal keeps the text fields read so far.
pub async fn read_form_keeping_text(
    payload: Multipart,
    csrf: Option<&str>,
    recipient: &AnyRecipient,
    attachments_dir: &Path,
    limits: &LimitSettings,
    max_files: usize,
    gate: &mut UploadGate<'_>,
) -> Result<FormWithFiles, RefusedForm> {
    let files = FileSink {
        encrypt_to: Some(recipient),
        dir: attachments_dir,
        max_files,
        max_file_bytes: limits.max_attachment_bytes,
        max_report_bytes: 0,
        binary_field: SEALED_REPORT_FIELD,
        gate,
    };
    read_with(payload, csrf, files, limits).await
}

/// The most bytes an age file of `plaintext` bytes, to one recipient, can
/// take: a header of at most 8 KiB, the nonce, and a tag per 64 KiB chunk.
pub fn max_sealed_bytes(plaintext: u64) -> u64 {
    crate::core::sealed::max_file_bytes(plaintext)
}

/// Reads a form the reporter's browser encrypted (docs/e2e.md): text
/// fields (the `envelope`), the binary `report` part (at most
/// `max_report_bytes`), and `attachment` parts stored as they arrive (age
/// files; [`crate::core::sealed::check_attachment`] checks each after).
pub async fn read_sealed_form(
    payload: Multipart,
    attachments_dir: &Path,
    limits: &LimitSettings,
    max_report_bytes: usize,
    gate: &mut UploadGate<'_>,
) -> Result<FormWithFiles, FormError> {
    let files = FileSink {
        encrypt_to: None,
        dir: attachments_dir,
        max_files: limits.max_attachments_per_case,
        max_file_bytes: max_sealed_bytes(limits.max_attachment_bytes),
        max_report_bytes,
        binary_field: SEALED_REPORT_FIELD,
        gate,
    };
    read_with(payload, None, files, limits)
        .await
        .map_err(|refused| refused.error)
}

/// The binary part of a reply the reporter's browser encrypted.
pub const SEALED_MESSAGE_FIELD: &str = "message";

/// Reads a reply the reporter's browser encrypted (docs/e2e.md, "Replies"):
/// `csrf` first (checked against `csrf`), the `envelope` text, a binary
/// `message` part (at most `max_message_bytes`, kept in the form's
/// `report`) and at most `room` `attachment` parts, stored as they arrive.
pub async fn read_sealed_reply(
    payload: Multipart,
    csrf: &str,
    attachments_dir: &Path,
    limits: &LimitSettings,
    room: usize,
    max_message_bytes: usize,
    gate: &mut UploadGate<'_>,
) -> Result<FormWithFiles, FormError> {
    let files = FileSink {
        encrypt_to: None,
        dir: attachments_dir,
        max_files: room,
        max_file_bytes: max_sealed_bytes(limits.max_attachment_bytes),
        max_report_bytes: max_message_bytes,
        binary_field: SEALED_MESSAGE_FIELD,
        gate,
    };
    read_with(payload, Some(csrf), files, limits)
        .await
        .map_err(|refused| refused.error)
}

async fn read_with(
    payload: Multipart,
    csrf: Option<&str>,
    files: FileSink<'_, '_>,
    limits: &LimitSettings,
) -> Result<FormWithFiles, RefusedForm> {
    let mut form = FormWithFiles {
        fields: HashMap::new(),
        report: None,
        files: Vec::new(),
    };
    let mut payload = Parts {
        inner: payload,
        ended: false,
    };
    let FileSink {
        encrypt_to,
        dir,
        max_files,
        max_file_bytes,
        max_report_bytes,
        binary_field,
        gate,
    } = files;
    let sink = FileSink {
        encrypt_to,
        dir,
        max_files,
        max_file_bytes,
        max_report_bytes,
        binary_field,
        gate: &mut *gate,
    };
    let result = read_into(&mut form, &mut payload, csrf, sink, limits).await;
    match result {
        Ok(()) => Ok(form),
        Err(e) => {
            form.discard().await;
            form.files.clear();
            gate.refund().await;
            // A form whose token failed keeps the rest of its text, so the
            // page can be shown again as typed (its files are not stored).
            if matches!(e, FormError::Csrf) {
                let _ = read_text_fields(&mut form, &mut payload, limits).await;
            }
            // Drain a bounded remainder so the client gets our answer, not a
            // reset; beyond that the connection is simply dropped.
            let mut drained = 0usize;
            'drain: while let Some(Ok(mut field)) = payload.next().await {
                while let Some(Ok(chunk)) = field.next().await {
                    drained += chunk.len();
                    if drained > MAX_DRAIN_BYTES {
                        break 'drain;
                    }
                }
            }
            Err(RefusedForm {
                error: e,
                partial: form,
            })
        }
    }
}

/// Where a form's files go: encrypted to `encrypt_to` into `dir` (or, for
/// a browser-encrypted form, `None`: stored as they arrive), at most
/// `max_files` of at most `max_file_bytes` each, each byte admitted by
/// `gate` first. `max_report_bytes` is the most a binary `report` part may
/// hold (0: such a part is text, as in any other form).
struct FileSink<'a, 'g> {
    encrypt_to: Option<&'a AnyRecipient>,
    dir: &'a Path,
    max_files: usize,
    max_file_bytes: u64,
    max_report_bytes: usize,
    /// The name of that binary part.
    binary_field: &'static str,
    gate: &'a mut UploadGate<'g>,
}

async fn read_into(
    form: &mut FormWithFiles,
    payload: &mut Parts,
    csrf: Option<&str>,
    files: FileSink<'_, '_>,
    limits: &LimitSettings,
) -> Result<(), FormError> {
    let FileSink {
        encrypt_to,
        dir: attachments_dir,
        max_files,
        max_file_bytes,
        max_report_bytes,
        binary_field,
        gate,
    } = files;
    let mut csrf_checked = csrf.is_none();
    let mut text_bytes = 0usize;
    while let Some((mut field, name, filename)) =
        payload.next_field(&mut text_bytes, limits).await?
    {
        if !csrf_checked {
            if name != CSRF_FIELD {
                // Keep what this field says: the form will be shown again.
                if filename.is_none() {
                    let _ = read_text(&mut field, &mut text_bytes, limits)
                        .await
                        .map(|value| form.fields.entry(name).or_default().push(value));
                }
                return Err(FormError::Csrf);
            }
            let mut token = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| FormError::Malformed)?;
                if token.len() + chunk.len() > 256 {
                    return Err(FormError::Csrf);
                }
                token.extend_from_slice(&chunk);
            }
            let expected = csrf.unwrap_or("");
            let submitted = String::from_utf8(token).map_err(|_| FormError::Csrf)?;
            if !crate::web::http::context::tokens_match(expected, &submitted) {
                return Err(FormError::Csrf);
            }
            csrf_checked = true;
            continue;
        }
        if let (true, Some(filename)) = (name == FILE_FIELD, filename) {
            let content_type = field
                .content_type()
                .map(|m| m.essence_str().to_owned())
                .unwrap_or_else(|| "application/octet-stream".to_owned());
            // Nothing is written before the first byte arrives: an empty file
            // input (a nameless, empty part) costs no file and no task.
            // An empty named file has ended already: actix's `Field` panics
            // when polled again after its end, which would drop the connection.
            // An empty named file is refused before anything is written.
            let (first, mut ended) = match field.next().await {
                None if filename.is_empty() => continue,
                None => return Err(FormError::EmptyAttachment),
                Some(Ok(chunk)) if chunk.is_empty() => match next_data(&mut field).await {
                    Ok(Some(chunk)) => (chunk, false),
                    Ok(None) => return Err(FormError::EmptyAttachment),
                    Err(e) => return Err(e),
                },
                Some(Ok(chunk)) => (chunk, false),
                Some(Err(_)) => return Err(FormError::Malformed),
            };
            if form.files.len() >= max_files {
                return Err(FormError::TooManyAttachments);
            }
            if first.len() as u64 > max_file_bytes {
                return Err(FormError::AttachmentTooLarge);
            }
            gate.admit(first.len() as u64).await?;
            let mut upload = match encrypt_to {
                Some(recipient) => Upload::begin(attachments_dir, recipient)?,
                None => Upload::begin_sealed(attachments_dir)?,
            };
            let mut failed = upload.feed(first).await.err().map(FormError::Internal);
            while failed.is_none() && !ended {
                let chunk = match field.next().await {
                    None => {
                        ended = true;
                        continue;
                    }
                    Some(Ok(c)) => c,
                    Some(Err(_)) => {
                        failed = Some(FormError::Malformed);
                        break;
                    }
                };
                if upload.received() + chunk.len() as u64 > max_file_bytes {
                    failed = Some(FormError::AttachmentTooLarge);
                    break;
                }
                if let Err(refusal) = gate.admit(chunk.len() as u64).await {
                    failed = Some(refusal.into());
                    break;
                }
                if let Err(e) = upload.feed(chunk).await {
                    failed = Some(FormError::Internal(e));
                }
            }
            if let Some(e) = failed {
                upload.abort().await;
                return Err(e);
            }
            let pending = upload.finish().await?;
            let name: String = filename
                .chars()
                .take(limits.max_short_field_chars)
                .collect();
            form.files.push(IncomingFile {
                pending,
                name,
                content_type,
            });
            continue;
        }
        if max_report_bytes > 0 && name == binary_field {
            if form.report.is_some() {
                return Err(FormError::Malformed);
            }
            form.report = Some(read_bytes(&mut field, max_report_bytes).await?);
            continue;
        }
        let value = read_text(&mut field, &mut text_bytes, limits).await?;
        form.fields.entry(name).or_default().push(value);
    }
    if !csrf_checked {
        return Err(FormError::Csrf);
    }
    Ok(())
}

/// The first non-empty chunk of a field, `None` at its end (an ended
/// field is never polled again: actix's `Field` panics then).
async fn next_data(
    field: &mut actix_multipart::Field,
) -> Result<Option<actix_web::web::Bytes>, FormError> {
    loop {
        match field.next().await {
            None => return Ok(None),
            Some(Ok(chunk)) if chunk.is_empty() => continue,
            Some(Ok(chunk)) => return Ok(Some(chunk)),
            Some(Err(_)) => return Err(FormError::Malformed),
        }
    }
}

/// A binary part's bytes, at most `max`.
async fn read_bytes(field: &mut actix_multipart::Field, max: usize) -> Result<Vec<u8>, FormError> {
    let mut value = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| FormError::Malformed)?;
        if value.len() + chunk.len() > max {
            return Err(FormError::TooLarge);
        }
        value.extend_from_slice(&chunk);
    }
    Ok(value)
}

/// A text field's value, counted against the body limit in `text_bytes`.
async fn read_text(
    field: &mut actix_multipart::Field,
    text_bytes: &mut usize,
    limits: &LimitSettings,
) -> Result<String, FormError> {
    let mut value = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| FormError::Malformed)?;
        *text_bytes += chunk.len();
        if *text_bytes > limits.max_body_bytes {
            return Err(FormError::TooLarge);
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value).map_err(|_| FormError::InvalidUtf8)
}

/// Reads the text fields of the rest of `payload` into `form` and skips
/// its files (at most [`MAX_DRAIN_BYTES`] of them are read, and none is
/// kept), within the body limit for text.
async fn read_text_fields(
    form: &mut FormWithFiles,
    payload: &mut Parts,
    limits: &LimitSettings,
) -> Result<(), FormError> {
    let mut text_bytes = 0usize;
    let mut skipped = 0usize;
    while let Some((mut field, name, filename)) =
        payload.next_field(&mut text_bytes, limits).await?
    {
        if filename.is_some() {
            while let Some(chunk) = field.next().await {
                skipped += chunk.map_err(|_| FormError::Malformed)?.len();
                if skipped > MAX_DRAIN_BYTES {
                    return Err(FormError::TooLarge);
                }
            }
            continue;
        }
        let value = read_text(&mut field, &mut text_bytes, limits).await?;
        form.fields.entry(name).or_default().push(value);
    }
    Ok(())
}

/// Reads only the text fields of a multipart form, storing no file and
/// checking no CSRF token: for showing a form again as typed (another
/// language, or a reply whose session has ended), never for storing it.
/// A body that cannot be read gives what was read before the problem.
pub async fn read_text_only(payload: Multipart, limits: &LimitSettings) -> FormWithFiles {
    let mut form = FormWithFiles {
        fields: HashMap::new(),
        report: None,
        files: Vec::new(),
    };
    let mut payload = Parts {
        inner: payload,
        ended: false,
    };
    let _ = read_text_fields(&mut form, &mut payload, limits).await;
    form
}
