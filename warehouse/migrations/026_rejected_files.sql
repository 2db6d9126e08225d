-- A refused file whose bytes did not change is refused again without reading it
-- (issue 19, item 6; flows/plan.py): a 60 MB web page cost 76 s and 1.75 GB on every run.
--
-- rejected_files: the stat of each source file a run refused for what it holds (too big,
-- not text, a format that cannot be read), as source_files keeps the stat of each file
-- read. The file is read again when its stat or manifest entry changes, when the size
-- limits it was refused under change (`limits`), with POLYSTAT_VERIFY=hash, or when the
-- run that refused it did not finish.
CREATE TABLE rejected_files (
    source_id   VARCHAR PRIMARY KEY,
    path        VARCHAR NOT NULL,
    size        BIGINT NOT NULL,
    mtime_ns    BIGINT NOT NULL,
    ctime_ns    BIGINT NOT NULL,
    file_id     VARCHAR NOT NULL,        -- "device:inode"
    entry_key   VARCHAR NOT NULL,        -- sha256 of the manifest entry it was read under
    limits      VARCHAR NOT NULL,        -- the size settings it was read under
    checked_ns  BIGINT NOT NULL,         -- wall clock before the stat
    problem     VARCHAR NOT NULL,        -- the reject's reason, given again while it stands
    run_id      VARCHAR NOT NULL
);
