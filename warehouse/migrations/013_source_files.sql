-- Ingest costs what changed, not the corpus (flows/ingest/unchanged.py, flows/stages.py).
--
-- source_files: the stat of each source file when it was last read and hashed.
-- A file whose size, mtime, ctime and device:inode are unchanged keeps its sha256
-- (doc_id) and is not opened again. Rows of runs that did not finish are ignored
-- (the file is then read again), so an interrupted run cannot vouch for a file.
CREATE TABLE source_files (
    source_id   VARCHAR PRIMARY KEY,
    path        VARCHAR NOT NULL,        -- resolved path when it was read
    size        BIGINT NOT NULL,
    mtime_ns    BIGINT NOT NULL,
    ctime_ns    BIGINT NOT NULL,
    file_id     VARCHAR NOT NULL,        -- "device:inode"
    doc_id      VARCHAR NOT NULL,        -- sha256 of the bytes read
    entry_key   VARCHAR NOT NULL,        -- sha256 of the manifest entry the sources row came from
    checked_ns  BIGINT NOT NULL,         -- wall clock before the stat (files changed just then are read again)
    run_id      VARCHAR NOT NULL
);

-- manifest_cache: the parsed [[source]] entries of the last manifest.toml, keyed by
-- the sha256 of its bytes (and of the cache format); any other manifest is parsed.
CREATE TABLE manifest_cache (
    manifest_sha256  VARCHAR PRIMARY KEY,
    entries          VARCHAR NOT NULL,   -- JSON, TOML dates tagged (flows/ingest/manifest.py)
    stored_at        TIMESTAMP NOT NULL
);
