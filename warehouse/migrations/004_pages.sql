-- Sources that are not plain text (issue #9): PDF reports and saved web articles.
-- documents.text is the text the reader extracted (see flows/ingest/pdf.py, html.py); spans index it.
-- format: text | pdf | html. page_starts: offset in documents.text where page 1, 2, ...
-- begins (PDF only), so every span knows its page; NULL for documents without pages.
ALTER TABLE documents ADD COLUMN format VARCHAR DEFAULT 'text';
ALTER TABLE documents ADD COLUMN page_starts INTEGER[];
-- author: from the manifest, or from the PDF / HTML metadata when the manifest has none.
ALTER TABLE sources ADD COLUMN author VARCHAR;

-- The 1-based page of a text offset: how many pages start at or before it.
CREATE MACRO page_of(page_starts, pos) AS
    CASE WHEN page_starts IS NULL OR len(page_starts) = 0 THEN NULL
         ELSE greatest(1, len(list_filter(page_starts, lambda s: s <= pos))) END;

-- Every current observation with the page it stands on (NULL where the source has no pages).
CREATE VIEW observation_pages AS
SELECT o.obs_id, o.doc_id, page_of(d.page_starts, o.start) AS page
FROM current_observations o JOIN current_documents d USING (doc_id);
