"""Versions of the code that decides which figures a document yields.

Kept apart from the code itself so that a run can tell whether anything must be
mined again without importing spaCy (which costs more than a second).
Raise a version whenever a change alters what that code yields.
"""

EXTRACTOR_VERSION = "stats-0.6.18"  # extract.statistics and the modules it uses
CONCEPTS_VERSION = "concepts-2"  # extract.concepts
