"""Bytes -> text for plain-text sources: which encoding, or why the bytes are not text.

UTF-8 (with or without a BOM) and UTF-16 with a BOM are read as such; other bytes are tried
as GB18030, cp1252 and the Turkish ISO-8859-9/cp1254. Damaged UTF-8 and binary files are
refused with a reason rather than stored as text nobody wrote.
"""

from __future__ import annotations

import re

from reports.markup import counted


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name; raises ValueError saying why the bytes are not text."""
    if not data:
        raise ValueError("file is empty")
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding), encoding
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (NUL bytes), not text")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        _refuse_damaged_utf8(data, exc)
        text, encoding = _decode_legacy(data)
    _refuse_control_characters(text, encoding)
    return text, encoding


# Decision (issue #8): bytes that are mostly valid UTF-8 but hold invalid
# sequences are a damaged UTF-8 file, not a legacy encoding. Decoding them as
# cp1252 would turn every "ü" into "Ã¼", and replacing the bad bytes would
# store text the file does not hold; either way spans would point at text
# nobody wrote. Such a file is refused with the position of the first bad byte.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                             rb"|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_CONTROL_SAMPLE = 1_000_000
_LATIN_OR_PUNCTUATION = re.compile(r"[\x00-\x7f\u00a0-\u024f\u2000-\u206f\u20ac]+")


def _refuse_damaged_utf8(data: bytes, exc: UnicodeDecodeError) -> None:
    valid = sum(len(m) for m in _UTF8_MULTIBYTE.findall(data))
    invalid = len(_HIGH_BYTE.findall(data)) - valid
    if valid >= invalid:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"invalid UTF-8 at byte {exc.start} (line {line}): the file is UTF-8 "
                         f"with {counted(invalid, 'damaged byte')}; re-save it as UTF-8 and run "
                         "again")


def _refuse_control_characters(text: str, encoding: str) -> None:
    """Text files hold letters, not control codes: many of them mean binary or a wrong guess."""
    sample = text[:_CONTROL_SAMPLE]
    controls = len(_CONTROL.findall(sample))
    if controls > max(8, len(sample) // 200):
        raise ValueError(f"binary file or unknown encoding: {controls} control characters "
                         f"when read as {encoding}")


def _decode_legacy(data: bytes) -> tuple[str, str]:
    try:
        text = data.decode("gb18030")
        han = len(re.findall(r"[\u4e00-\u9fff]", text))
        if han and han >= 0.3 * len(re.findall(r"[^\x00-\x7f]", text)):
            return text, "gb18030"
        # European text saved as GB18030: its accents and quotes come back as themselves,
        # while cp1252 bytes read as GB18030 turn into CJK characters.
        if not _LATIN_OR_PUNCTUATION.sub("", text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    # ISO-8859-9 differs from cp1252 only where Turkish needs ğ ı ş İ Ş Ğ; Windows
    # Turkish (cp1254) is ISO-8859-9 plus cp1252's quotes and dashes in 0x80-0x9f.
    turkish = sum(data.count(b) for b in (b"\xf0", b"\xfd", b"\xfe", b"\xdd", b"\xde", b"\xd0"))
    windows = re.search(rb"[\x80-\x9f]", data) is not None
    encoding = ("cp1254" if windows else "iso-8859-9") if turkish else "cp1252"
    text = data.decode(encoding, errors="replace")
    letters = re.findall(r"[^\W\d_]", text[:_CONTROL_SAMPLE])
    foreign = sum(1 for ch in letters if ord(ch) > 0x7f)
    if text.count("\ufffd") > max(3, len(text) // 100) or foreign > 0.4 * len(letters):
        raise ValueError("not text in an encoding polystat reads (UTF-8, UTF-16 with BOM, "
                         "GB18030, cp1252, ISO-8859-9/cp1254); re-save it as UTF-8")
    return text, encoding
