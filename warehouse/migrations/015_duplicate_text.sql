-- Near-duplicates (flows/stages.py `_classify`): a source whose text equals another's
-- after normalising white space, line ends, a BOM and Unicode form is stored once.
--
-- documents.text_key: sha256 of the normalised text (flows/ingest/documents.py `text_key`). Rows
-- stored before this migration get it at the next ingest (Python's NFC and white space
-- are the definition; SQL cannot reproduce them exactly).
ALTER TABLE documents ADD COLUMN text_key VARCHAR;

-- rejects.severity: 'error' (the file was refused: the run is partial, exit 2) or
-- 'warning' (a duplicate: its text is stored under the original, the run completes).
ALTER TABLE rejects ADD COLUMN severity VARCHAR DEFAULT 'error';
