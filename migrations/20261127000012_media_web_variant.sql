-- The smaller copy of a wide upload that pages show (at most 1280 pixels
-- wide), as a file of its own beside the upload. NULL in every column
-- when the upload has none (it is narrow enough, or a GIF or animated
-- WebP, which are kept as uploaded).
ALTER TABLE media ADD COLUMN web_path TEXT;
ALTER TABLE media ADD COLUMN web_width INTEGER;
ALTER TABLE media ADD COLUMN web_height INTEGER;
ALTER TABLE media ADD COLUMN web_bytes INTEGER;
ALTER TABLE media ADD COLUMN web_sha256 TEXT;

-- A variant's address is looked up when it is served, and no two rows
-- share a file (NULLs are distinct).
CREATE UNIQUE INDEX media_web_path ON media (web_path);
