-- Signing the owner in. Secrets are never stored: sessions, sign-in states
-- and login links are kept as SHA-256 hashes of the random values the
-- browser holds, so a copy of the database signs no one in.

-- A signed-in browser. `expires_at` slides forward while it is used.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    -- A one-time message for the next admin page ("Published").
    flash        TEXT
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- An IndieAuth sign-in on its way: kept from the redirect to the
-- authorization server until the callback uses it (once) or it expires.
CREATE TABLE sign_in_states (
    state_hash             TEXT PRIMARY KEY NOT NULL,
    code_verifier          TEXT NOT NULL,
    authorization_endpoint TEXT NOT NULL,
    issuer                 TEXT,
    via                    TEXT NOT NULL,
    created_at             TEXT NOT NULL
);

-- One-time sign-in links made by `starpunk login-link`.
CREATE TABLE login_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
