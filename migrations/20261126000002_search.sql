-- Full-text search over the notes' plain text and tag names. The row id is
-- the note's id; `indexed_hash` (the content hash) records which version of the text was
-- indexed, so `starpunk check` can tell a stale entry. Drafts and deleted
-- notes stay indexed and are filtered out when searching, so publishing
-- needs no reindexing. Existing notes are indexed when the server starts
-- (their text lives in files, which SQL cannot read).
CREATE VIRTUAL TABLE notes_search USING fts5(
    body,
    tags,
    indexed_hash UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
