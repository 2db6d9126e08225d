"""The reader for saved web articles (trafilatura): the main text without navigation,
teasers and comment blocks, plus title, date, author, URL and site for the metadata.
"""

from __future__ import annotations

from flows.ingest.documents import ExtractedText, FormatError

HTML_ENCODING = "html/trafilatura"


def read_html(data: bytes, language: str | None = None) -> ExtractedText:
    """HTML bytes -> the article's main text and its metadata; raises FormatError."""
    import trafilatura

    tree = trafilatura.load_html(data)
    if tree is None:
        raise FormatError("HTML cannot be parsed")
    found = trafilatura.bare_extraction(
        tree, include_comments=False, include_tables=True, include_images=False,
        with_metadata=True, deduplicate=True)
    document = found if isinstance(found, dict) or found is None else found.as_dict()
    if not isinstance(document, dict) or not (document.get("text") or "").strip():
        raise FormatError("HTML page has no main text that trafilatura can find")
    text = _tidy_lines(document["text"])
    metadata = {ours: document[theirs] for ours, theirs in (
        ("title", "title"), ("author", "author"), ("published", "date"), ("url", "url"),
        ("publisher", "sitename")) if document.get(theirs)}
    return ExtractedText(text=text, format="html", encoding=HTML_ENCODING, metadata=metadata)


def _tidy_lines(text: str) -> str:
    """One paragraph per line, no trailing blanks; inner spacing is left as extracted."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line)
