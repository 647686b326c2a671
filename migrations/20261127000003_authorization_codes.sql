-- Authorization codes this site issues to apps (IndieAuth § 5.2): kept from
-- the owner's approval until the app redeems the code, once, within 10
-- minutes. Like tokens, only the SHA-256 hash of a code is stored.
CREATE TABLE authorization_codes (
    code_hash      TEXT PRIMARY KEY NOT NULL,
    client_id      TEXT NOT NULL,
    -- The app's name as its page or metadata gave it, for the token list.
    client_name    TEXT NOT NULL DEFAULT '',
    redirect_uri   TEXT NOT NULL,
    -- BASE64URL(SHA256(code_verifier)): PKCE S256 is required.
    code_challenge TEXT NOT NULL,
    -- Space-separated scopes the owner granted; empty for a sign-in only.
    scopes         TEXT NOT NULL,
    me             TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    -- Set when redeemed; a code is never accepted twice.
    used_at        TEXT
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);
