-- What each figure claims, as the linker read it (warehouse/reconcile.py, extract/claims.py),
-- and conflicts only where identity is certain.
--
-- claims: one row per linked observation. `study` is the study's series (an edition
-- without its number: "dvm-ki-monitor-2024" -> "dvm-ki-monitor"; a source without an
-- edition is its own study); `words` the lemmas of the figure's clause; `gloss` a verbal
-- figure ("nearly half"); `antecedent` the figure an anaphor ("dieser Anteil") refers to.
CREATE TABLE claims (
    obs_id          VARCHAR PRIMARY KEY,
    study           VARCHAR,
    words           VARCHAR[],
    clause          VARCHAR NOT NULL,
    negated         BOOLEAN NOT NULL,
    anaphor         BOOLEAN NOT NULL,
    gloss           BOOLEAN NOT NULL,
    antecedent      VARCHAR,
    linker_version  VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);

-- A conflict: one metric, one year, one study, exact figures of at least two sentences
-- whose values differ beyond rounding. Never a verbal gloss against its figure, never
-- two studies (they are "other studies" beside a trend), never the values of one
-- comparison (one sentence), nor a source's own figures unless it restates one. `scope` tells a source contradicting itself from sources
-- contradicting each other; `linked_by` says why the figures are one metric.
CREATE OR REPLACE VIEW conflicts AS
WITH member AS (
    SELECT m.metric_id, m.label, o.year, o.value, o.obs_id, o.doc_id, o.claim_start,
           o.start, d.source_id, c.study, mo.method
    FROM metrics m
    JOIN metric_observations mo USING (metric_id)
    JOIN current_observations o USING (obs_id)
    JOIN current_documents d USING (doc_id)
    JOIN claims c USING (obs_id)
    WHERE o.year IS NOT NULL AND o.qualifier = 'exact' AND NOT c.gloss
    -- a comparison that gives two of its values one year was misread: no conflict
    QUALIFY o.group_key IS NULL OR count(*) OVER (PARTITION BY o.group_key, o.year) = 1)
SELECT
    metric_id,
    label AS metric,
    year,
    study,
    list(DISTINCT value ORDER BY value) AS "values",
    list(obs_id ORDER BY value, doc_id, start) AS obs_ids,
    CASE WHEN count(DISTINCT source_id) = 1 THEN 'within source'
         ELSE 'between sources' END AS scope,
    list(DISTINCT method ORDER BY method) AS linked_by
FROM member
GROUP BY metric_id, label, year, study
HAVING max(value) - min(value) > 1.0 AND count(DISTINCT (doc_id, claim_start)) > 1
   -- a source contradicts itself only where it restates a figure
   AND (count(DISTINCT source_id) > 1 OR list_contains(list(method), 'restatement'));
