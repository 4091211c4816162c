-- Two-factor login for staff (issue 11).
--
-- two_factor: a staff member's TOTP secret (RFC 6238), never in plaintext:
-- sealed (age, X25519) to the user's own recipient, so only their unlocked
-- key opens it and a stolen database yields no secret. sealed_secret is the
-- confirmed secret (NULL: not enrolled); pending_secret one being set up,
-- sealed the same way, until a code from it confirms it. last_step is the
-- last TOTP time step accepted (UNIX seconds / 30), so no code works twice.
--
-- two_factor_recovery: single-use recovery codes, kept only as keyed hashes
-- (HMAC-SHA-256 under a key derived from the user's own identity); a row is
-- deleted when its code is used.
--
-- pending_logins: a login whose password was right but whose second factor
-- is still to come. Keyed like sessions by a one-way lookup key of a random
-- secret held only in the browser's cookie; the unlocked identity is kept
-- only sealed under that secret. expires_at (UNIX seconds) a few minutes
-- after the password step; attempts counts the codes tried.

CREATE TABLE two_factor (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sealed_secret BLOB,
    pending_secret BLOB,
    last_step BIGINT NOT NULL,
    enrolled_at BIGINT
);

CREATE TABLE two_factor_recovery (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_tag BLOB NOT NULL,
    PRIMARY KEY (user_id, code_tag)
);

CREATE TABLE pending_logins (
    lookup_key BLOB PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sealed_identity BLOB NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);
CREATE INDEX pending_logins_expires_at ON pending_logins (expires_at);
