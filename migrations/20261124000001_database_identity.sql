-- A random identity for this database, made once when it is created. A
-- running server compares it on every change poll: a different identity
-- means the database was replaced (a restore, a new file), and every page
-- rendered from the old one is dropped at once.
ALTER TABLE site_state ADD COLUMN database_id TEXT NOT NULL DEFAULT '';
UPDATE site_state SET database_id = lower(hex(randomblob(16))) WHERE id = 1;
