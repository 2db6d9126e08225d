-- Segments remember the sha256 of their text: the key of the translation cache.
ALTER TABLE segments ADD COLUMN text_sha256 VARCHAR;
