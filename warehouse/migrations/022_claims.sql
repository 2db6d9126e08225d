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
    words_en        VARCHAR[],               -- the claim's English words (a translated sentence)
    clause          VARCHAR NOT NULL,
    negated         BOOLEAN NOT NULL,
    anaphor         BOOLEAN NOT NULL,
    gloss           BOOLEAN NOT NULL,
    antecedent      VARCHAR,
    linker_version  VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL
);

-- lemmas: every word the claim builder lemmatised (simplemma loads a language's whole
-- dictionary on first use, about 3 s; a run whose words are all known does not).
CREATE TABLE lemmas (
    lang   VARCHAR NOT NULL,
    word   VARCHAR NOT NULL,
    lemma  VARCHAR NOT NULL,
    PRIMARY KEY (lang, word)
);

-- A conflict: one metric, one year, one study, exact values that differ beyond rounding,
-- either between sources that each give one value (the same figure reported differently)
-- or inside one source that restates a figure with another value. Never a verbal gloss
-- against its figure, never two studies (they are "other studies" beside a trend), never
-- the values of one comparison (one sentence), never a source that gives several values
-- for one claim and year without restating it (a misread year or group, not a report).
-- `scope` tells a source contradicting itself from sources contradicting each other;
-- `linked_by` says why the figures are one metric.
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
    list_sort(list_distinct(flatten(list(methods)))) AS linked_by
FROM telling
GROUP BY metric_id, label, year, study
HAVING max(high) - min(low) > 1.0
   AND (count(*) > 1 OR bool_or(restated_differently));

-- Suggestions for an analyst: metrics that the linker kept apart for want of evidence but
-- that share their group, unit and topic words (the concept lexicon). Possibly the same.
CREATE VIEW metric_suggestions AS
WITH topic AS (
    SELECT DISTINCT mo.metric_id, o.unit, o.population,
           list_sort(list_distinct(o.concepts)) AS concepts
    FROM metric_observations mo JOIN current_observations o USING (obs_id)
    WHERE len(o.concepts) > 0 AND o.population IS NOT NULL)
SELECT DISTINCT a.metric_id, b.metric_id AS similar_metric_id,
       'same group (' || a.population || ') and topics (' || array_to_string(a.concepts, ', ')
       || ')' AS reason
FROM topic a JOIN topic b
  ON a.unit = b.unit AND a.population = b.population AND a.concepts = b.concepts
 AND a.metric_id <> b.metric_id;
