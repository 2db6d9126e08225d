-- Every segment carries the sha256 of its text (003 added the column but left it empty
-- for segments stored before). Readers then join translations on the column alone:
-- computing the hash on the fly drags each document's whole text through the join
-- (at 50,000 figures, more than 1 GB of memory for one query).
UPDATE segments SET text_sha256 = sha256(substring(d.text, segments.start + 1,
                                                   segments."end" - segments.start))
FROM documents d
WHERE d.doc_id = segments.doc_id AND segments.text_sha256 IS NULL;
