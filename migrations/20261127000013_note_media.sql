-- Which uploads each note has used, as a photo or in its text. A
-- reference is added by the note service whenever a note is written with
-- the upload among its photos or linked from its text, and kept when a later edit drops the photo (its address may be
-- linked from elsewhere) or the note is deleted (it can be restored); it
-- goes only with the note itself. Uploads no note ever used are removed
-- after a day.
CREATE TABLE note_media (
    note_id  INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    -- No cascade: removing an upload a note uses is refused.
    media_id INTEGER NOT NULL REFERENCES media (id),
    PRIMARY KEY (note_id, media_id)
) WITHOUT ROWID;

CREATE INDEX note_media_by_media ON note_media (media_id);

-- The photos of notes written before references were kept: a photo is an
-- upload when its URL ends in `/media/` and the upload's path.
INSERT OR IGNORE INTO note_media (note_id, media_id)
SELECT note.id, media.id
FROM (SELECT id, properties FROM notes
      WHERE json_valid(properties) AND json_type(properties, '$.photos') = 'array') AS note,
     json_each(note.properties, '$.photos') AS photo,
     media
WHERE substr(json_extract(photo.value, '$.url'), -length(media.path) - 7) = '/media/' || media.path
   OR substr(json_extract(photo.value, '$.url'), -length(media.web_path) - 7) = '/media/' || media.web_path;
