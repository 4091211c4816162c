-- Abuse resistance shared by every instance on the database (issue 9).
--
-- rate_counters: fixed-window counters of the rate limits and budgets. One
-- row per budget and window; an instance leases a batch of tokens with one
-- upsert (used = used + n, RETURNING used) and spends them locally. A
-- budget's key never names a person: lanes are named, staff usernames and
-- device ids appear only as truncated keyed hashes. Old windows are pruned
-- by housekeeping.
CREATE TABLE rate_counters (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_counters_window ON rate_counters (window_start);

-- pow_spent: proof-of-work challenges already redeemed, by the SHA-256 of
-- the signed challenge, until the challenge would have expired anyway.
CREATE TABLE pow_spent (
    challenge_hash BLOB PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pow_spent_expiry ON pow_spent (expires_at);
