-- Reader views: only rows of finished runs and current document versions.

-- A run sees its own rows while it works (the connection sets the variable
-- polystat_run); every other reader sees finished runs only.
CREATE VIEW finished_runs AS
SELECT run_id FROM runs
WHERE status IN ('completed', 'partial') OR run_id = getvariable('polystat_run');

CREATE VIEW current_documents AS
SELECT d.* FROM documents d
WHERE d.run_id IN (SELECT run_id FROM finished_runs) AND d.superseded_by IS NULL;

CREATE VIEW current_observations AS
SELECT o.* FROM observations o
JOIN current_documents d USING (doc_id)
WHERE o.run_id IN (SELECT run_id FROM finished_runs);

-- One row per metric and year: the agreed value, every observation behind it.
CREATE VIEW series AS
SELECT
    m.metric_id,
    m.label AS metric,
    m.unit,
    o.year,
    median(o.value) AS value,
    min(o.value) AS min_value,
    max(o.value) AS max_value,
    count(*) AS n_observations,
    count(DISTINCT o.doc_id) AS n_documents,
    list(o.obs_id ORDER BY o.doc_id, o.start) AS obs_ids,
    list(DISTINCT o.doc_id) AS doc_ids,
    (max(o.value) - min(o.value)) <= 1.0 AS agreement
FROM metrics m
JOIN metric_observations mo USING (metric_id)
JOIN current_observations o USING (obs_id)
WHERE o.year IS NOT NULL
GROUP BY m.metric_id, m.label, m.unit, o.year;

-- Same metric and year, values that differ beyond rounding (more than 1 unit).
-- Qualified figures ("more than half") are not exact claims and never conflict.
CREATE VIEW conflicts AS
SELECT
    m.metric_id,
    m.label AS metric,
    o.year,
    list(DISTINCT o.value ORDER BY o.value) AS "values",
    list(o.obs_id ORDER BY o.value, o.doc_id, o.start) AS obs_ids
FROM metrics m
JOIN metric_observations mo USING (metric_id)
JOIN current_observations o USING (obs_id)
WHERE o.year IS NOT NULL AND o.qualifier = 'exact'
GROUP BY m.metric_id, m.label, o.year
HAVING max(o.value) - min(o.value) > 1.0;
