-- The site as a fediverse actor: its key pair, the actors that wrote to it,
-- its followers, what followers were last told of each note, and the queue
-- of deliveries to their servers.

-- The actor's RSA key pair, made once (on the first start with federation
-- on) and kept here, so a backup and its restore carry it: followers'
-- servers know the site by this key.
CREATE TABLE activitypub_key (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    private_key_pem TEXT NOT NULL,
    public_key_pem  TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

-- Actors of other servers whose signature the site checked: their key
-- (fetched once, fetched again when it stops verifying), inbox and profile.
CREATE TABLE remote_actors (
    id             TEXT PRIMARY KEY,
    key_id         TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    inbox          TEXT NOT NULL,
    shared_inbox   TEXT,
    username       TEXT,
    name           TEXT,
    url            TEXT,
    icon_url       TEXT,
    -- The copy of their picture among the uploads (media path), made from
    -- icon_url.
    avatar         TEXT,
    fetched_at     TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX remote_actors_by_key ON remote_actors (key_id);

-- Who follows the site, and where their server takes deliveries.
CREATE TABLE followers (
    actor         TEXT PRIMARY KEY,
    -- The id of their Follow: an Accept or a Reject names it.
    follow_id     TEXT NOT NULL,
    inbox         TEXT NOT NULL,
    shared_inbox  TEXT,
    host          TEXT NOT NULL,
    followed_at   TEXT NOT NULL,
    -- The first failed delivery to their server since the last one that
    -- arrived; a follower failing for a week is dropped.
    failing_since TEXT
) WITHOUT ROWID;

CREATE INDEX followers_by_inbox ON followers (COALESCE(shared_inbox, inbox));

-- What followers were last sent about each note. No reference to `notes`:
-- a note removed for good still needs its Delete sent.
CREATE TABLE federated_notes (
    note_id     INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('created', 'deleted')),
    -- The version of the object's id last sent in a Create (0: none yet).
    -- Version 1 is the permalink; each Create after a Delete takes the
    -- next one (the permalink with `?v=N`), as servers ignore a Create of
    -- an id they saw deleted.
    version     INTEGER NOT NULL DEFAULT 0,
    -- The object as last sent (its `updated` left out): an edit that
    -- changes it is sent as an Update.
    object_hash TEXT,
    changed_at  TEXT    NOT NULL
);

-- The object's id is part of the note's JSON: a change here is a change of
-- what is served.
CREATE TRIGGER federated_notes_after_insert AFTER INSERT ON federated_notes BEGIN
    UPDATE site_state SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER federated_notes_after_update AFTER UPDATE OF state, version ON federated_notes
WHEN OLD.state IS NOT NEW.state OR OLD.version IS NOT NEW.version BEGIN
    UPDATE site_state SET revision = revision + 1 WHERE id = 1;
END;

-- Every activity the site sent, with how many of its deliveries arrived
-- and how many were given up.
CREATE TABLE outbox_activities (
    id         INTEGER PRIMARY KEY,
    -- NULL for an Accept or a Reject of a follower.
    note_id    INTEGER,
    kind       TEXT    NOT NULL
               CHECK (kind IN ('create', 'update', 'delete', 'accept', 'reject')),
    -- The JSON, as signed and sent.
    activity   TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    delivered  INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX outbox_activities_by_note ON outbox_activities (note_id, id);

-- Deliveries waiting: one per activity and inbox (a server's shared inbox
-- once for all its followers), removed when it arrives or is given up.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    activity_id     INTEGER NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
    inbox           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    -- Being tried now; a server starting releases every claim (what a
    -- stop cut short is tried again).
    claimed         INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    UNIQUE (activity_id, inbox)
);

CREATE INDEX deliveries_due ON deliveries (next_attempt_at);
