-- Analyst curation (`polystat metrics merge|split|rename`, warehouse/curation.py): decisions
-- an analyst makes about metrics, kept with their time and honoured by every later
-- reconcile, incremental or full (warehouse/link_curation.py).
--
-- Metric ids are the linker's (named after a metric's oldest figure) and may change when
-- figures come and go, so a decision is kept as the figures it was made on: a merge as the
-- figures of its two metrics (side a, b), a split as the figures moved out and those kept
-- (moved, kept), a rename as the figures of the metric it named (named).
CREATE TABLE curation_decisions (
    decision_id  INTEGER PRIMARY KEY,
    kind         VARCHAR NOT NULL,      -- merge | split | rename
    made_at      TIMESTAMP NOT NULL,    -- UTC
    metric_id    VARCHAR NOT NULL,      -- the metric the analyst named, as it was then
    other_id     VARCHAR,               -- merge: the second metric; split: the new one
    label        VARCHAR                -- rename: the label a reader sees
);

-- A figure of a decision, with what finds it again: its obs_id (a hash of document, span
-- and unit: the same after a rebuild and a re-extraction), its span (another extractor may
-- read another unit there), and its source, sentence, offset in the sentence and surface
-- (a new version of the source's file has a new doc_id).
CREATE TABLE curation_figures (
    decision_id      INTEGER NOT NULL,
    side             VARCHAR NOT NULL,
    obs_id           VARCHAR NOT NULL,
    doc_id           VARCHAR NOT NULL,
    source_id        VARCHAR,
    start            INTEGER NOT NULL,
    "end"            INTEGER NOT NULL,
    surface          VARCHAR NOT NULL,
    claim            VARCHAR NOT NULL,
    offset_in_claim  INTEGER NOT NULL,
    PRIMARY KEY (decision_id, obs_id)
);

-- Each decision's figures as they are now: the current observation found by obs_id, else
-- by span, else by source, sentence, offset and surface. Figures found no more are left out.
CREATE VIEW curated_figures AS
WITH current AS (
    SELECT f.decision_id, f.side, f.obs_id FROM curation_figures f
    WHERE f.obs_id IN (SELECT obs_id FROM current_observations)),
missing AS (  -- figures no longer current by obs_id: only these are looked for further
    SELECT * FROM curation_figures
    WHERE (decision_id, obs_id) NOT IN (SELECT (decision_id, obs_id) FROM current)),
found AS (
    SELECT f.decision_id, f.side, f.obs_id AS recorded, o.obs_id, 2 AS how
    FROM missing f JOIN current_observations o
      ON o.doc_id = f.doc_id AND o.start = f.start AND o."end" = f."end"
    UNION ALL
    SELECT f.decision_id, f.side, f.obs_id, o.obs_id, 3
    FROM missing f JOIN current_documents d ON d.source_id = f.source_id
    JOIN current_observations o ON o.doc_id = d.doc_id AND o.claim = f.claim
     AND o.start - o.claim_start = f.offset_in_claim AND o.surface = f.surface),
best AS (  -- the best way a missing figure was found
    SELECT decision_id, side, obs_id FROM found
    QUALIFY row_number() OVER (PARTITION BY decision_id, recorded ORDER BY how, obs_id) = 1)
SELECT * FROM current
UNION ALL
SELECT * FROM best;

-- Per metric, the decisions behind it: merged_at (the latest merge whose two sides it
-- holds), split_at (the latest split it came out of), label (the latest rename that names
-- it: a rename names the metric holding most of its figures) and every decision that
-- touched one of its figures, oldest first.
CREATE VIEW metric_curation AS
WITH per_metric AS (
    SELECT mo.metric_id, d.decision_id, d.kind, d.made_at, d.label,
           count(DISTINCT c.side) AS sides, count(*) AS figures
    FROM curated_figures c JOIN metric_observations mo USING (obs_id)
    JOIN curation_decisions d USING (decision_id)
    GROUP BY ALL),
named AS (
    SELECT decision_id, metric_id, true AS names FROM per_metric WHERE kind = 'rename'
    QUALIFY row_number() OVER (PARTITION BY decision_id ORDER BY figures DESC, metric_id) = 1)
SELECT p.metric_id,
       max(p.made_at) FILTER (WHERE p.kind = 'merge' AND p.sides > 1) AS merged_at,
       max(p.made_at) FILTER (WHERE p.kind = 'split') AS split_at,
       max(p.made_at) FILTER (WHERE n.names) AS label_set_at,
       arg_max(p.label, (p.made_at, p.decision_id)) FILTER (WHERE n.names) AS label,
       list(p.decision_id ORDER BY p.made_at, p.decision_id) AS decisions
FROM per_metric p LEFT JOIN named n USING (decision_id, metric_id)
GROUP BY p.metric_id;

-- The conflicts view of 022, unchanged but for `linked_by`: a metric an analyst merged says
-- so ('analyst'): its figures are one metric because the analyst said they are.
CREATE OR REPLACE VIEW conflicts AS
WITH member AS (
    SELECT m.metric_id, m.label, o.year, o.value, o.obs_id, o.doc_id, o.claim_start,
           o.start, d.source_id, c.study, c.gloss OR o.paraphrase_of IS NOT NULL AS gloss,
           mo.method
    FROM metrics m
    JOIN metric_observations mo USING (metric_id)
    JOIN current_observations o USING (obs_id)
    JOIN current_documents d USING (doc_id)
    JOIN claims c USING (obs_id)
    WHERE o.year IS NOT NULL AND o.qualifier = 'exact'
    -- a comparison that gives two of its values one year was misread: no conflict
    QUALIFY o.group_key IS NULL OR count(*) OVER (PARTITION BY o.group_key, o.year) = 1),
per_source AS (  -- a gloss is listed with its figure but never makes a value of its own
    SELECT metric_id, label, year, study, source_id,
           min(value) FILTER (WHERE NOT gloss) AS low, max(value) FILTER (WHERE NOT gloss) AS high,
           count(DISTINCT (doc_id, claim_start)) FILTER (WHERE NOT gloss) AS sentences,
           list_contains(list(method), 'restatement') AS restated,
           list(obs_id ORDER BY value, doc_id, start) AS obs_ids,
           list(DISTINCT value) FILTER (WHERE NOT gloss) AS vals,
           list(DISTINCT method) AS methods
    FROM member GROUP BY ALL),
telling AS (  -- sources that give one value, or restate a figure differently
    SELECT *, high - low > 1.0 AS restated_differently FROM per_source
    WHERE high - low <= 1.0 OR (restated AND sentences > 1))
SELECT
    metric_id,
    label AS metric,
    year,
    study,
    list_sort(list_distinct(flatten(list(vals)))) AS "values",
    flatten(list(obs_ids)) AS obs_ids,
    CASE WHEN count(*) = 1 THEN 'within source' ELSE 'between sources' END AS scope,
    list_sort(list_distinct(list_concat(flatten(list(methods)),
        CASE WHEN metric_id IN (SELECT metric_id FROM metric_curation
                                WHERE merged_at IS NOT NULL)
             THEN ['analyst'] ELSE []::VARCHAR[] END))) AS linked_by
FROM telling
GROUP BY metric_id, label, year, study
HAVING max(high) - min(low) > 1.0
   AND (count(*) > 1 OR bool_or(restated_differently));
