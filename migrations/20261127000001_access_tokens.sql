-- Access tokens for apps (Micropub clients) and scripts. Like sessions,
-- only the SHA-256 hash of a token is kept: a copy of the database lets
-- no one post. Revoked tokens stay listed (with when) until pruned, so the
-- owner can see what was cut off.
CREATE TABLE access_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    -- What the owner calls it: the app's name, or `--name` from the CLI.
    name         TEXT NOT NULL,
    -- The app's client_id URL; empty for tokens made with the CLI.
    client_id    TEXT NOT NULL DEFAULT '',
    -- Space-separated, e.g. "create update media".
    scopes       TEXT NOT NULL,
    -- The owner's identity URL the token speaks for.
    me           TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    expires_at   TEXT,
    revoked_at   TEXT
);
