"""Ingest: read the manifest, find the documents, decode their bytes.

Nothing here raises for a single bad document: each problem becomes a
`Reject` naming the file, and the rest of the run goes on. The stage in the
order a document meets it:

- `manifest`   sources/manifest.toml: each entry checked, the file parsed once per content
- `sources`    which files are sources: the manifest's entries plus unlisted files
- `unchanged`  whether a file is as when last read, from its stat (then it is not opened;
               a file refused for its content is refused again, unread)
- `read`       one file's bytes -> sha256 + the text to store, within the size limits
- `decoding`   plain text: which encoding, or why the bytes are not text
- `pdf`, `html`  the readers of PDF reports and saved web articles
- `documents`  what ingest hands on: sources, documents, rejects, duplicates

The stage itself (what runs, what is stored) is `ingest` in flows/stages.py; the
names below are what the rest of polystat imports.
"""

from flows.ingest.decoding import decode
from flows.ingest.documents import (
    NORMALISED,
    Duplicate,
    ExtractedText,
    FormatError,
    RawDocument,
    Reject,
    SourceEntry,
    SourcesError,
    text_key,
)
from flows.ingest.manifest import (
    MANIFEST,
    ManifestCache,
    decode_manifest_entries,
    encode_manifest_entries,
)
from flows.ingest.read import infer_metadata, read_document, size_limits, survey_year_of
from flows.ingest.sources import load_manifest
from flows.ingest.unchanged import (
    RACY_NS,
    FileStat,
    KnownFile,
    RefusedFile,
    UnchangedDocument,
    entry_key,
    file_stat,
    unchanged_since,
)

__all__ = [
    "MANIFEST", "NORMALISED", "RACY_NS", "Duplicate", "ExtractedText",
    "FileStat", "FormatError", "KnownFile", "ManifestCache", "RawDocument", "RefusedFile", "Reject",
    "SourceEntry", "SourcesError", "UnchangedDocument", "decode", "decode_manifest_entries",
    "encode_manifest_entries", "entry_key", "file_stat", "infer_metadata", "load_manifest",
    "read_document", "size_limits", "survey_year_of", "text_key", "unchanged_since",
]
