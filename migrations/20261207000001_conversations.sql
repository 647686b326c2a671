-- Every change of a note, in the order made, for the work that follows a
-- change outside the transaction that made it: Webmentions sent to the
-- pages a note links to, deliveries to fediverse followers. Written by
-- triggers, so every writer is seen (the server, the CLI, a hand edit in
-- the sqlite3 shell); each consumer keeps its place in `change_cursors`,
-- so a change is acted on even when the process that made it, or the
-- server, stopped right after.
CREATE TABLE note_changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id INTEGER NOT NULL,
    slug    TEXT    NOT NULL,
    at      TEXT    NOT NULL
);

CREATE TRIGGER note_changes_after_insert AFTER INSERT ON notes BEGIN
    INSERT INTO note_changes (note_id, slug, at)
    VALUES (NEW.id, NEW.slug, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER note_changes_after_update AFTER UPDATE ON notes BEGIN
    INSERT INTO note_changes (note_id, slug, at)
    VALUES (NEW.id, NEW.slug, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
CREATE TRIGGER note_changes_after_delete AFTER DELETE ON notes BEGIN
    INSERT INTO note_changes (note_id, slug, at)
    VALUES (OLD.id, OLD.slug, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- How far each consumer of `note_changes` has got.
CREATE TABLE change_cursors (
    consumer TEXT    PRIMARY KEY,
    last_id  INTEGER NOT NULL
) WITHOUT ROWID;

-- What other sites said about a note: replies, likes, reposts, bookmarks
-- and mentions, received as Webmentions or from the fediverse. Shown under
-- the note once approved.
CREATE TABLE responses (
    id           INTEGER PRIMARY KEY,
    note_id      INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    protocol     TEXT    NOT NULL CHECK (protocol IN ('webmention', 'activitypub')),
    -- What the other site names it by: a Webmention's source URL, or the
    -- fediverse object's (or activity's) id. One response per source and
    -- note: a repeated mention updates it.
    source       TEXT    NOT NULL,
    kind         TEXT    NOT NULL
                 CHECK (kind IN ('reply', 'like', 'repost', 'bookmark', 'mention')),
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    -- Where a reader goes to see it.
    url          TEXT    NOT NULL,
    -- The host it came from, for moderation ("always approve this site").
    host         TEXT    NOT NULL,
    author_name  TEXT,
    author_url   TEXT,
    -- A copy of the author's picture among the uploads (media path), never
    -- the other site's address.
    author_photo TEXT,
    -- The fediverse actor it came from.
    actor        TEXT,
    -- Sanitised HTML and its plain text, both shortened.
    content_html TEXT,
    content_text TEXT,
    published    TEXT,
    received_at  TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    UNIQUE (note_id, protocol, source)
);

CREATE INDEX responses_by_status ON responses (status, received_at DESC);
CREATE INDEX responses_by_actor ON responses (actor) WHERE actor IS NOT NULL;

-- When the responses to each note last changed (removals included): the
-- note page's Last-Modified is the later of this and the note's own.
CREATE TABLE response_changes (
    note_id INTEGER PRIMARY KEY,
    at      TEXT NOT NULL
);

-- A change of what is shown under a note is a change of the site: pages
-- are rendered again. The feeds do not show responses, so their date
-- (`changed_at`) stays.
CREATE TRIGGER responses_after_insert AFTER INSERT ON responses BEGIN
    UPDATE site_state SET revision = revision + 1 WHERE id = 1;
    INSERT INTO response_changes (note_id, at)
    VALUES (NEW.note_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (note_id) DO UPDATE SET at = excluded.at;
END;
CREATE TRIGGER responses_after_update AFTER UPDATE ON responses BEGIN
    UPDATE site_state SET revision = revision + 1 WHERE id = 1;
    INSERT INTO response_changes (note_id, at)
    VALUES (NEW.note_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (note_id) DO UPDATE SET at = excluded.at;
END;
CREATE TRIGGER responses_after_delete AFTER DELETE ON responses BEGIN
    UPDATE site_state SET revision = revision + 1 WHERE id = 1;
    INSERT INTO response_changes (note_id, at)
    VALUES (OLD.note_id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    ON CONFLICT (note_id) DO UPDATE SET at = excluded.at;
END;

-- Hosts whose responses are approved as they come ("always approve this
-- site").
CREATE TABLE trusted_hosts (
    host     TEXT PRIMARY KEY,
    added_at TEXT NOT NULL
) WITHOUT ROWID;

-- Domains the site will not hear from or send to (and their subdomains).
CREATE TABLE blocked_domains (
    domain   TEXT PRIMARY KEY,
    added_at TEXT NOT NULL
) WITHOUT ROWID;
