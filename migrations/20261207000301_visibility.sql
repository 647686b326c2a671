-- Who a published note is for: everyone ('public': the home page, feeds,
-- tags, search, sitemap), or whoever has its address ('unlisted': its
-- permalink only). A published note whose publication date is still to
-- come is scheduled: shown nowhere until then, whatever its visibility.
ALTER TABLE notes ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('public', 'unlisted'));

-- Scheduled notes not yet shown: written before their publication date.
-- When that date comes, the server sets `updated_at` to it (see
-- `Store::release_due`), which takes the note out of this index and, by
-- the triggers, tells every cache and the change log that it appeared.
CREATE INDEX notes_scheduled ON notes (published_at)
    WHERE published = 1 AND deleted_at IS NULL AND updated_at < published_at;
