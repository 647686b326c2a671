-- Images uploaded through the media endpoint or with a Micropub post. The
-- file is the content; this row says what it is and when it came, so it
-- can be served with its type and validator, measured on pages, and
-- removed when no note ever used it.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    -- Relative to DATA_PATH/media: YYYY/MM/<random>.<ext>.
    path         TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    -- SHA-256 of the stored bytes, hex: the strong ETag.
    sha256       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
