-- The e-mail outbox (src/notifications.rs). A row says only that a user is to
-- be told something needs attention: no case content, category or severity,
-- and no address (read from users.email when the mail is sent). `case_id`,
-- `deadline` (a DeadlineKind key) and `due_at` exist only to keep reminders
-- from repeating and are never put in a mail or shown to administrators.
-- Times are UNIX seconds. A row is pending until `sent_at` or `failed_at` is
-- set; `last_error` holds a short SMTP error class and code, never content.

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    case_id TEXT NULL REFERENCES cases(id) ON DELETE SET NULL,
    deadline TEXT NULL,
    due_at BIGINT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NULL,
    sent_at BIGINT NULL,
    failed_at BIGINT NULL
);

-- One reminder or overdue notice per (user, case, deadline kind, notice kind,
-- due instant): the scheduler may run every minute, on several instances.
-- The due instant is part of the key so that a moved deadline (an extended
-- feedback deadline) is reminded about again.
CREATE UNIQUE INDEX notifications_once
    ON notifications (user_id, case_id, deadline, kind, due_at)
    WHERE deadline IS NOT NULL;

CREATE INDEX notifications_due
    ON notifications (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
