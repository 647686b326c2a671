-- Tags (categories). `key` is the URL form (`rust-lang`, for /tag/rust-lang),
-- `name` the display form as first written ("Rust Lang"). A note's tags
-- keep the order the author gave them (`position`).
CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE note_tags (
    note_id  INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag_id   INTEGER NOT NULL REFERENCES tags (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (note_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX note_tags_by_tag ON note_tags (tag_id, note_id);

-- A change of tags is a change of the site, like a change of a note.
CREATE TRIGGER note_tags_after_insert AFTER INSERT ON note_tags BEGIN
    UPDATE site_state
       SET revision = revision + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE id = 1;
END;
CREATE TRIGGER note_tags_after_delete AFTER DELETE ON note_tags BEGIN
    UPDATE site_state
       SET revision = revision + 1, changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE id = 1;
END;
