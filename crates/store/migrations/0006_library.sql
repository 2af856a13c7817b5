-- The media library page: a small JPEG preview per media, made by Relais at upload, so that
-- the page shows a grid of images without sending each original (up to the upload limit) to
-- the browser. NULL for a video, and for an image Relais could not read: the page then shows
-- the file's name and type instead.
ALTER TABLE media ADD COLUMN thumbnail BYTEA;
