-- A run that asked for reports stays invisible to other readers until its
-- publish stage is done: the pipeline records "publish": "started" in the
-- run summary before publishing and "done" after. A run killed while
-- publishing keeps "started"; the next run keeps its figures and marks it
-- "publish": "interrupted", which this view shows (warehouse/store.py
-- keep_runs_killed_while_publishing). The running pipeline still
-- sees its own rows through the polystat_run variable.
CREATE OR REPLACE VIEW finished_runs AS
SELECT run_id FROM runs
WHERE (status IN ('completed', 'partial')
       AND coalesce(json_extract_string(summary, '$.publish'), 'done') <> 'started')
   OR run_id = getvariable('polystat_run');
