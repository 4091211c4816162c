-- Single sign-on with OpenID Connect for staff (issue 11, part 3).
--
-- oidc_links: an administrator links a staff account to one subject of the
-- configured provider (issuer + sub). Nothing is created from the provider's
-- side: a subject linked to no active account logs nobody in, and the
-- provider grants no case access (that needs the account's own key).
--
-- oidc_logins: the short-lived state between the steps of one login, found
-- by a one-way lookup key of a random secret held only in the browser's
-- cookie (as sessions are). Before the redirect to the provider it holds the
-- state, nonce and PKCE verifier, sealed under a key derived from that
-- secret; after the provider's callback, the account the provider vouched
-- for (user_id) while it waits for the key passphrase, with the number of
-- passphrase tries spent. A row is used once and expires after minutes.

CREATE TABLE oidc_links (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

CREATE TABLE oidc_logins (
    lookup_key BLOB PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    tries BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);
