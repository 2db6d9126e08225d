"""What a corpus's reports are called and where they are published: the title and
subtitle on the Overview and the PDF, and the site address the PDF links to.

flows/ resolves them (settings over the sources' manifest.toml `[report]` table over
the defaults below); a publish that changes any of them renders anew."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

# neutral: a corpus of statistics-office reports is no more "customer service" than any
DEFAULT_TITLE = "Statistics from the reports"
DEFAULT_SUBTITLE = ("What the reports say, across languages, with every figure traced to "
                    "its sentence")


@dataclass(frozen=True)
class ReportOptions:
    title: str = DEFAULT_TITLE
    subtitle: str = DEFAULT_SUBTITLE
    site_url: str = ""  # "https://example.org/stats" (no trailing slash); "" = not published

    def digest(self) -> str:
        return hashlib.sha256("\0".join(astuple(self)).encode()).hexdigest()
