-- Whom a source's survey asked (manifest `population`, e.g. "consumers"): the extractor
-- takes it as the group of "the respondents" and of shares that name no group.
-- NULL: the document itself says it (its title, lead sentence or sample), or nothing does.
ALTER TABLE sources ADD COLUMN population VARCHAR;
