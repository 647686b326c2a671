-- Notes: the Markdown file under NOTES_PATH is the source of truth for the
-- text; this row holds the metadata and the SHA-256 of the file's content.
-- Timestamps are UTC RFC 3339 text with milliseconds ("2026-11-23T10:20:30.123Z"),
-- so they sort correctly as text and read well in the sqlite3 shell.
CREATE TABLE notes (
    id           INTEGER PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    file_path    TEXT    NOT NULL UNIQUE,
    published    INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    published_at TEXT,
    deleted_at   TEXT,
    content_hash TEXT    NOT NULL
);

-- The public list (home page, feed): published, not deleted, newest first.
CREATE INDEX notes_public_by_date
    ON notes (published_at DESC, id DESC)
    WHERE published = 1 AND deleted_at IS NULL;
CREATE INDEX notes_by_created ON notes (created_at DESC);

-- One row that changes whenever any note changes, from any process (the
-- server, the CLI, or a hand edit in the sqlite3 shell). The server polls
-- `revision` to know when its cached pages and feed are stale, and the feed
-- uses `changed_at` as its lastBuildDate and Last-Modified.
CREATE TABLE site_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    revision   INTEGER NOT NULL,
    changed_at TEXT    NOT NULL
);
INSERT INTO site_state (id, revision, changed_at)
VALUES (1, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TRIGGER notes_after_insert AFTER INSERT ON notes BEGIN
    UPDATE site_state
       SET revision = revision + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE id = 1;
END;
CREATE TRIGGER notes_after_update AFTER UPDATE ON notes BEGIN
    UPDATE site_state
       SET revision = revision + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE id = 1;
END;
CREATE TRIGGER notes_after_delete AFTER DELETE ON notes BEGIN
    UPDATE site_state
       SET revision = revision + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE id = 1;
END;
