-- Login challenges of the code login in the browser (docs/e2e.md,
-- "Follow-up with the code in the browser"; issue 13).
--
-- login_challenges: the SHA-256 of a random nonce the server sealed to a
-- case's recipient, with its case and expiry. Only the browser that opened
-- the challenge with the case key knows the nonce; a copy of the database
-- holds only its hash, so it opens no session. A challenge is deleted when
-- it is answered (it works once) and by the session sweep once expired.

CREATE TABLE login_challenges (
    nonce_hash BYTEA PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX login_challenges_expiry ON login_challenges (expires_at);
