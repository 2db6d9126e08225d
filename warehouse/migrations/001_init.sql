-- polystat warehouse, version 1.
-- Every fact row carries the run that produced it; readers only trust rows of
-- finished runs: status 'completed' or 'partial' (some sources rejected), and not
-- while the run's publish stage is still going (the finished_runs view of
-- 002_views.sql and 011; the current_* views build on it). A run sees its own rows.
-- Rejects are the exception: those of failed runs are shown too (warehouse/reads.py).

CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,
    flow          VARCHAR NOT NULL,
    flow_run_id   VARCHAR,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    status        VARCHAR NOT NULL,          -- running | completed | partial | failed
    code_version  VARCHAR NOT NULL,
    parameters    JSON,
    summary       JSON
);

CREATE TABLE sources (
    source_id          VARCHAR PRIMARY KEY,  -- file path relative to the sources folder
    path               VARCHAR NOT NULL,
    title              VARCHAR,
    publisher          VARCHAR,
    url                VARCHAR,
    published          VARCHAR,
    edition            VARCHAR,
    survey_year        INTEGER,
    declared_language  VARCHAR,
    in_manifest        BOOLEAN NOT NULL,
    run_id             VARCHAR NOT NULL
);

CREATE TABLE documents (
    doc_id               VARCHAR PRIMARY KEY, -- sha256 of the bytes
    source_id            VARCHAR NOT NULL,
    file_name            VARCHAR NOT NULL,
    text                 VARCHAR NOT NULL,    -- verbatim decoded text
    encoding             VARCHAR NOT NULL,
    n_bytes              BIGINT NOT NULL,
    language             VARCHAR,
    language_confidence  DOUBLE,
    language_mismatch    BOOLEAN NOT NULL DEFAULT FALSE,
    superseded_by        VARCHAR,             -- doc_id of the newer version of this source
    run_id               VARCHAR NOT NULL
);

CREATE TABLE segments (
    doc_id               VARCHAR NOT NULL,
    seg_no               INTEGER NOT NULL,
    start                INTEGER NOT NULL,
    "end"                INTEGER NOT NULL,
    kind                 VARCHAR NOT NULL,
    language             VARCHAR,
    language_confidence  DOUBLE,
    language_method      VARCHAR,
    run_id               VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, seg_no)
);

CREATE TABLE translations (
    text_sha256        VARCHAR NOT NULL,
    src                VARCHAR NOT NULL,
    tgt                VARCHAR NOT NULL,
    engine             VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    model_version      VARCHAR,
    source_text        VARCHAR NOT NULL,
    translated         VARCHAR,              -- NULL when untranslated
    status             VARCHAR NOT NULL,     -- translated | untranslated
    reason             VARCHAR,
    numbers_preserved  BOOLEAN,
    numbers_missing    JSON,
    run_id             VARCHAR NOT NULL,
    PRIMARY KEY (text_sha256, src, tgt, engine, model)
);

CREATE TABLE extractions (                 -- which document was mined by which extractor
    doc_id             VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    n_observations     INTEGER NOT NULL,
    run_id             VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, extractor_version)
);

CREATE TABLE observations (
    obs_id             VARCHAR PRIMARY KEY,
    doc_id             VARCHAR NOT NULL,
    seg_no             INTEGER,
    start              INTEGER NOT NULL,
    "end"              INTEGER NOT NULL,
    surface            VARCHAR NOT NULL,
    value              DOUBLE NOT NULL,
    unit               VARCHAR NOT NULL,
    qualifier          VARCHAR NOT NULL,
    population         VARCHAR,
    year               INTEGER,
    year_basis         VARCHAR,
    group_key          VARCHAR,             -- comparison group inside one sentence
    concepts           VARCHAR[],
    claim              VARCHAR NOT NULL,    -- the original sentence
    claim_start        INTEGER NOT NULL,
    claim_end          INTEGER NOT NULL,
    rule               VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    run_id             VARCHAR NOT NULL
);

CREATE TABLE metrics (
    metric_id       VARCHAR PRIMARY KEY,
    label           VARCHAR NOT NULL,
    population      VARCHAR,
    unit            VARCHAR NOT NULL,
    label_source    VARCHAR NOT NULL,       -- translation | concepts | claim
    linker_version  VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);

CREATE TABLE metric_observations (
    metric_id       VARCHAR NOT NULL,
    obs_id          VARCHAR NOT NULL,
    method          VARCHAR NOT NULL,
    score           DOUBLE NOT NULL,
    linker_version  VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,
    PRIMARY KEY (metric_id, obs_id)
);

CREATE TABLE rejects (
    run_id    VARCHAR NOT NULL,
    path      VARCHAR NOT NULL,
    problem   VARCHAR NOT NULL,
    rejected_at TIMESTAMP NOT NULL
);
