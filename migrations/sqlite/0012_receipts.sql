-- One-time receipts and idempotent submissions (issue 10).
--
-- submission_tokens: every report form carries a random token (an API client
-- may send one as its Idempotency-Key header); the case it filed is stored
-- with the token's keyed hash (HMAC under the server's key), in the same
-- transaction, so a form posted twice files one case. day: the UTC day it
-- was used (UNIX seconds of midnight), nothing finer; rows are purged
-- after some days.
--
-- receipts: the receipt page after a submission (POST, 303, GET) shows the
-- case code from here, sealed under a key derived from a random secret held
-- only in the reporter's cookie; the row is found by a one-way lookup key of
-- that secret. The exact expiry is inside the seal; the row itself keeps
-- only the day. Deleted when the reporter confirms they wrote the code down,
-- or by the purge once its day is past.

CREATE TABLE submission_tokens (
    token_tag BLOB PRIMARY KEY NOT NULL,
    day BIGINT NOT NULL
);
CREATE INDEX submission_tokens_day ON submission_tokens (day);

CREATE TABLE receipts (
    lookup_key BLOB PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL,
    day BIGINT NOT NULL
);
CREATE INDEX receipts_day ON receipts (day);
