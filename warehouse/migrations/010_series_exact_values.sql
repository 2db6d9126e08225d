-- The agreed value of a metric in a year is the median of its EXACT figures;
-- qualified figures ("less than half", "more than 7000") only count when a year
-- has nothing exact. min/max/agreement still look at every figure.
CREATE OR REPLACE VIEW series AS
SELECT
    m.metric_id,
    m.label AS metric,
    m.unit,
    o.year,
    coalesce(median(o.value) FILTER (WHERE o.qualifier = 'exact'), median(o.value)) AS value,
    min(o.value) AS min_value,
    max(o.value) AS max_value,
    count(*) AS n_observations,
    count(DISTINCT o.doc_id) AS n_documents,
    list(o.obs_id ORDER BY o.doc_id, o.start) AS obs_ids,
    list(DISTINCT o.doc_id) AS doc_ids,
    (max(o.value) FILTER (WHERE o.qualifier = 'exact')
     - min(o.value) FILTER (WHERE o.qualifier = 'exact')) IS NOT DISTINCT FROM 0
     OR count(*) FILTER (WHERE o.qualifier = 'exact') <= 1
     OR max(o.value) FILTER (WHERE o.qualifier = 'exact')
        - min(o.value) FILTER (WHERE o.qualifier = 'exact') <= 1.0 AS agreement
FROM metrics m
JOIN metric_observations mo USING (metric_id)
JOIN current_observations o USING (obs_id)
WHERE o.year IS NOT NULL
GROUP BY m.metric_id, m.label, m.unit, o.year;
