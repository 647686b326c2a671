-- What a note holds beyond its text, tags and dates, as one JSON object:
-- a title (`name`), a summary, photos, whether the text is HTML rather
-- than Markdown (`format`), and other microformats2 properties an app sent
-- (`extra`). The text stays in the note's file. Existing notes get `{}`:
-- Markdown, nothing else.
ALTER TABLE notes ADD COLUMN properties TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(properties) AND json_type(properties) = 'object');
