-- A verbal share that glosses an exact figure ("zwei Drittel (68 Prozent)", "Two-thirds of
-- consumers (68%)") points at that figure's observation. Both are statistics; the gloss is a
-- paraphrase, never a second claim (the conflicts view only compares exact qualifiers, and a
-- gloss is exact only when it equals its figure).
ALTER TABLE observations ADD COLUMN paraphrase_of VARCHAR;

-- The conflicts view of 002, with glosses left out: a paraphrase never contradicts the
-- figure it restates, whatever its qualifier.
CREATE OR REPLACE VIEW conflicts AS
SELECT
    m.metric_id,
    m.label AS metric,
    o.year,
    list(DISTINCT o.value ORDER BY o.value) AS "values",
    list(o.obs_id ORDER BY o.value, o.doc_id, o.start) AS obs_ids
FROM metrics m
JOIN metric_observations mo USING (metric_id)
JOIN current_observations o USING (obs_id)
WHERE o.year IS NOT NULL AND o.qualifier = 'exact' AND o.paraphrase_of IS NULL
GROUP BY m.metric_id, m.label, o.year
HAVING max(o.value) - min(o.value) > 1.0;
