-- Undo of analyst curation (`polystat metrics undo`), and "possibly the same as"
-- suggestions built from what the linker stored about each figure (issue 17, item 5).
--
-- An undo is a decision of its own (kind 'undo', `undoes` the decision it takes back),
-- recorded with its time and the figures of the decision it took back (side 'undone'):
-- every later reconcile, incremental or full, replays the decisions in force only, so an
-- undone merge no longer joins its figures after a rebuild.
ALTER TABLE curation_decisions ADD COLUMN undoes INTEGER;

-- The curated_figures view of 023, without the figures of decisions an undo took back
-- (the linker, the labels and the pages read decisions through it).
CREATE OR REPLACE VIEW curated_figures AS
WITH in_force AS (
    SELECT * FROM curation_figures
    WHERE decision_id NOT IN (SELECT undoes FROM curation_decisions WHERE undoes IS NOT NULL)),
current AS (
    SELECT f.decision_id, f.side, f.obs_id FROM in_force f
    WHERE f.obs_id IN (SELECT obs_id FROM current_observations)),
missing AS (  -- figures no longer current by obs_id: only these are looked for further
    SELECT * FROM in_force
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

-- "Possibly the same as": two metrics the linker kept apart for want of evidence, of the
-- same unit and group, whose stored claims (`claims`: the lemmas of each figure's clause,
-- and its English words when translated) are alike, or that one document gives the same
-- value for the same year. One row per direction (metric_id, similar_metric_id), ranked by
-- `score` (0-1): the best Jaccard of two of their claims' words, +0.2 when both are of one
-- study and share no year (an edition continuing the other's series), +0.2 when one
-- document restates the other's value. `reason` says it in words.
--
-- Never suggested: two metrics with figures in one sentence (different claims of it),
-- two metrics one document gives different values for the same year (two findings of
-- it), and metrics an analyst's split (in force) keeps apart.
--
-- Cost on 10,000 documents: pairs are found by blocking on unit, group and one shared
-- claim word that at most 50 metrics of that unit and group hold (a common word such as
-- "say" is no evidence and would pair everything), over each metric's 10 most frequent
-- claims (a large metric repeats a few wordings), and by figures of one document.
-- `metric_suggestions_of(m)` gives those of one metric (both directions), cheaply: its
-- figures' documents and words only are joined; the view is `metric_suggestions_of(NULL)`.
CREATE MACRO metric_suggestions_of(wanted) AS TABLE
WITH figure AS (
    SELECT mo.metric_id, o.doc_id, o.claim_start, o.unit, o.year, o.value,
           coalesce(o.population, '') AS grp, c.study,
           list_sort(list_distinct(list_concat(c.words, coalesce(c.words_en, [])))) AS words
    FROM metric_observations mo JOIN current_observations o USING (obs_id)
    JOIN claims c USING (obs_id)),
mine AS (  -- the figures suggestions are looked for: of the wanted metric, or all
    SELECT * FROM figure WHERE wanted IS NULL OR metric_id = wanted),
metric AS (
    SELECT metric_id, any_value(unit) AS unit, any_value(grp) AS grp,
           list_sort(list(DISTINCT year) FILTER (WHERE year IS NOT NULL)) AS years
    FROM figure GROUP BY metric_id),
near AS (  -- figures with a word of those looked for (all of them, without a wanted metric)
    SELECT f.* FROM figure f
    LEFT JOIN (SELECT list_distinct(flatten(list(words))) AS words FROM mine
               WHERE wanted IS NOT NULL) m ON true
    WHERE wanted IS NULL OR list_has_any(f.words, m.words)),
claim AS (
    SELECT metric_id, unit, grp, study, words FROM near WHERE len(words) > 0
    GROUP BY metric_id, unit, grp, study, words
    QUALIFY row_number() OVER (PARTITION BY metric_id ORDER BY count(*) DESC, words) <= 10),
claim_word AS (
    SELECT c.*, w.word FROM claim c, unnest(c.words) AS w(word)),
blocking AS (
    SELECT unit, grp, word FROM claim_word GROUP BY ALL
    HAVING count(DISTINCT metric_id) <= 50),
worded AS (
    SELECT metric_id, other_id, arg_max(shared, similarity) AS shared,
           arg_max(words, similarity) AS words, max(similarity) AS similarity,
           bool_or(same_study) AS same_study, arg_max(study, same_study) AS study
    FROM (
        SELECT DISTINCT least(a.metric_id, b.metric_id) AS metric_id,
               greatest(a.metric_id, b.metric_id) AS other_id, a.study,
               a.study IS NOT DISTINCT FROM b.study AS same_study,
               list_intersect(a.words, b.words) AS shared,
               list_distinct(list_concat(a.words, b.words)) AS words,
               len(list_intersect(a.words, b.words))
                 / len(list_distinct(list_concat(a.words, b.words))) AS similarity
        FROM claim_word a JOIN blocking USING (unit, grp, word)
        JOIN claim_word b ON b.unit = a.unit AND b.grp = a.grp AND b.word = a.word
        WHERE (wanted IS NULL AND a.metric_id < b.metric_id)
           OR (a.metric_id = wanted AND b.metric_id <> wanted))
    GROUP BY ALL),
same_document AS (  -- figures of two metrics in one document
    SELECT least(a.metric_id, b.metric_id) AS metric_id,
           greatest(a.metric_id, b.metric_id) AS other_id,
           a.claim_start = b.claim_start AS same_sentence, a.year = b.year AS same_year,
           abs(a.value - b.value) < 0.05 AS same_value, a.year, a.value
    FROM mine a JOIN figure b ON a.doc_id = b.doc_id AND a.unit = b.unit AND a.grp = b.grp
    WHERE (wanted IS NULL AND a.metric_id < b.metric_id)
       OR (wanted IS NOT NULL AND b.metric_id <> wanted)),
restated AS (  -- one document gives both the same value for the same year
    SELECT metric_id, other_id, min(year) AS year, min(value) AS value FROM same_document
    WHERE same_year AND same_value AND NOT same_sentence GROUP BY ALL),
together AS (  -- one sentence holds both, or one document gives both other values a year
    SELECT DISTINCT metric_id, other_id FROM same_document
    WHERE same_sentence OR (same_year AND NOT same_value)),
split_side AS (
    SELECT DISTINCT f.decision_id, f.side, mo.metric_id
    FROM curated_figures f JOIN curation_decisions d USING (decision_id)
    JOIN metric_observations mo USING (obs_id) WHERE d.kind = 'split'),
split_apart AS (
    SELECT DISTINCT least(a.metric_id, b.metric_id) AS metric_id,
           greatest(a.metric_id, b.metric_id) AS other_id
    FROM split_side a JOIN split_side b USING (decision_id)
    WHERE a.side = 'moved' AND b.side = 'kept'),
scored AS (
    SELECT p.metric_id, p.other_id, ma.unit, ma.grp, coalesce(w.shared, []) AS shared,
           coalesce(len(w.words), 0) AS words, coalesce(w.same_study, false) AS same_study,
           w.study, ma.years, mb.years AS other_years,
           len(ma.years) > 0 AND len(mb.years) > 0 AND NOT list_has_any(ma.years, mb.years)
               AS no_common_year,
           r.year AS restated_year, r.value AS restated_value
    FROM (SELECT metric_id, other_id FROM worded UNION SELECT metric_id, other_id FROM restated) p
    LEFT JOIN worded w USING (metric_id, other_id) LEFT JOIN restated r USING (metric_id, other_id)
    JOIN metric ma ON ma.metric_id = p.metric_id JOIN metric mb ON mb.metric_id = p.other_id
    ANTI JOIN together t ON t.metric_id = p.metric_id AND t.other_id = p.other_id
    ANTI JOIN split_apart s ON s.metric_id = p.metric_id AND s.other_id = p.other_id),
ranked AS (
    SELECT *, round(least(1.0, coalesce(len(shared) / nullif(words, 0), 0)
                 + CASE WHEN same_study AND no_common_year THEN 0.2 ELSE 0 END
                 + CASE WHEN restated_year IS NOT NULL THEN 0.2 ELSE 0 END), 2) AS score
    FROM scored),
described AS (
    SELECT metric_id, other_id, score, shared, same_study, restated_year, concat_ws('; ',
        CASE WHEN len(shared) > 0 THEN 'their claims share ' || len(shared) || ' of ' || words
             || ' words (' || array_to_string(shared, ', ') || ')' END,
        CASE WHEN same_study THEN 'same ' || CASE
                 WHEN study LIKE 'source:%' THEN 'source (' || study[8:] || ')'
                 WHEN study LIKE 'publisher:%' THEN 'publisher (' || study[11:] || ')'
                 ELSE 'study (' || study || ')' END
             WHEN len(shared) > 0 THEN 'another study' END,
        CASE WHEN same_study AND no_common_year THEN 'no year in common ('
             || array_to_string(years, ', ') || ' against ' || array_to_string(other_years, ', ')
             || ')' END,
        CASE WHEN restated_year IS NOT NULL THEN 'one document gives both the value '
             || printf('%g', restated_value) || ' for ' || restated_year END,
        'same group (' || coalesce(nullif(grp, ''), 'none stated') || ') and unit (' || unit
             || ')') AS reason
    FROM ranked WHERE score >= 0.2)
SELECT metric_id, other_id AS similar_metric_id, score, reason, shared AS shared_words,
       same_study, restated_year
FROM described
UNION ALL
SELECT other_id, metric_id, score, reason, shared, same_study, restated_year FROM described;

CREATE OR REPLACE VIEW metric_suggestions AS SELECT * FROM metric_suggestions_of(NULL);
