-- The study a figure is cited from (extract/citations.py): press coverage names the survey
-- it reports ("laut einer Umfrage des Calder Institute", "据启航研究院发布的调查"). The
-- linker makes that survey the figure's study when its document has no edition of its own
-- (warehouse/link_claims.study_of), so two articles of one outlet on two institutes' polls
-- are two studies (never a conflict), and an article is one study with the survey's release.
-- NULL: the figure's sentence and document cite no survey.
ALTER TABLE observations ADD COLUMN cited VARCHAR;
