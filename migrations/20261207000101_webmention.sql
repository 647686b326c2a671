-- Webmentions received: each waits here until it is verified in the
-- background, and keeps what the verification found (for the owner's
-- page of mentions). One row per source and target: a repeated mention
-- is queued again, never twice.
CREATE TABLE webmention_inbox (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    note_id     INTEGER NOT NULL,
    source_host TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('queued', 'done')),
    -- Bumped each time it is queued again, so a verification that was
    -- under way when the same mention came again does not mark it done.
    generation  INTEGER NOT NULL DEFAULT 0,
    -- What the last verification found, in words for the owner.
    outcome     TEXT,
    accepted    INTEGER,
    done_at     TEXT,
    UNIQUE (source, target)
);

CREATE INDEX webmention_inbox_by_state ON webmention_inbox (state, received_at);

-- Webmentions sent: one row per note and page it links to (or linked to),
-- with when to send next and what the last attempt got.
CREATE TABLE webmention_outbox (
    id          INTEGER PRIMARY KEY,
    -- No foreign key: a note removed for good still tells the pages it
    -- linked to.
    note_id     INTEGER NOT NULL,
    -- The note's permalink.
    source      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    -- Whether the note's current version links to it.
    linked      INTEGER NOT NULL,
    -- Whether it is what the note replies to, likes, reposts or
    -- bookmarks: its title and author are kept for the note's page.
    context     INTEGER NOT NULL DEFAULT 0,
    -- When to send next; NULL when there is nothing to send.
    due_at      TEXT,
    generation  INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    state       TEXT    NOT NULL
                CHECK (state IN ('queued', 'sent', 'retrying', 'failed', 'no_endpoint')),
    last_status INTEGER,
    last_result TEXT,
    endpoint    TEXT,
    updated_at  TEXT    NOT NULL,
    UNIQUE (note_id, target)
);

CREATE INDEX webmention_outbox_due ON webmention_outbox (due_at) WHERE due_at IS NOT NULL;

-- The version of each note the sent Webmentions were worked out for, so
-- a change that altered nothing sends nothing again.
CREATE TABLE webmention_notes (
    note_id     INTEGER PRIMARY KEY,
    fingerprint TEXT    NOT NULL
);

-- What a page a note replies to (likes, reposts, bookmarks) says about
-- itself: its title and author, read when the Webmention to it is sent.
CREATE TABLE link_cites (
    url         TEXT PRIMARY KEY,
    title       TEXT,
    author_name TEXT,
    author_url  TEXT,
    fetched_at  TEXT NOT NULL
) WITHOUT ROWID;

-- The note's page shows them: render it again.
CREATE TRIGGER link_cites_after_insert AFTER INSERT ON link_cites BEGIN
    UPDATE site_state SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER link_cites_after_update AFTER UPDATE ON link_cites BEGIN
    UPDATE site_state SET revision = revision + 1 WHERE id = 1;
END;
