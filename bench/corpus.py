"""A synthetic corpus for the benchmarks: N documents recombined from real sentences.

Each synthetic document takes one seed document of sources/ as its model: the
same language and survey year, a heading, then that document's sentences and
list items in a shuffled order, with every number that is not a year changed
(so the statistics differ from one document to the next while the language
around them stays real). Sizes follow the seeds (3-14 KB of text). The output
folder has a manifest.toml like sources/, so `polystat run --sources DIR` reads it.

    .venv/bin/python bench/corpus.py 1000 /tmp/corpus-1k [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True)
class Seed:
    file: str
    language: str
    survey_year: int | None
    publisher: str
    heading: str
    pieces: tuple[str, ...]  # sentences and list items, verbatim


def load_seeds(sources: Path = SOURCES) -> list[Seed]:
    sys.path.insert(0, str(ROOT))
    from extract.segment import segment

    manifest = tomllib.loads((sources / "manifest.toml").read_text(encoding="utf-8"))
    seeds = []
    for entry in manifest["source"]:
        text = (sources / entry["file"]).read_text(encoding="utf-8")
        segments = segment(text)
        pieces = tuple(text[s.start:s.end] for s in segments if s.kind in ("sentence", "list_item"))
        heading = next((text[s.start:s.end] for s in segments if s.kind == "heading"), pieces[0])
        seeds.append(Seed(entry["file"], entry["language"], entry.get("survey_year"),
                          entry.get("publisher", ""), heading, pieces))
    return seeds


def vary_numbers(text: str, rng: random.Random) -> str:
    """Change every number but years; keep its shape (digits, separator) so it still reads."""
    def replace(match: re.Match[str]) -> str:
        number = match.group(0)
        if _YEAR.fullmatch(number):
            return number
        digits = re.sub(r"\D", "", number)
        if len(digits) <= 2 and "," not in number and "." not in number:
            return str(rng.randint(2, 98))
        return "".join(str(rng.randint(1 if i == 0 else 0, 9)) if ch.isdigit() else ch
                       for i, ch in enumerate(number))
    return _NUMBER.sub(replace, text)


def document(seed: Seed, number: int, rng: random.Random) -> str:
    pieces = list(seed.pieces)
    rng.shuffle(pieces)
    body = [vary_numbers(piece, rng) for piece in pieces]
    paragraphs = ["\n".join(body[i:i + 4]) for i in range(0, len(body), 4)]
    return f"{seed.heading} ({number})\n\n" + "\n\n".join(paragraphs) + "\n"


def write_corpus(n_documents: int, target: Path, seed: int = 7, start: int = 0) -> list[Path]:
    """Write documents start..start+n-1 and a manifest listing every document in the folder."""
    rng = random.Random(seed * 1_000_003 + start)
    seeds = load_seeds()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(start, start + n_documents):
        index = number % len(seeds)
        model = seeds[index]
        path = target / f"syn_{number:06d}_{index}.txt"
        path.write_text(document(model, number, rng), encoding="utf-8")
        written.append(path)
    _write_manifest(target, seeds)
    return written


def _write_manifest(target: Path, seeds: list[Seed]) -> None:
    lines = ["# Synthetic benchmark corpus (bench/corpus.py): recombined real sentences.", ""]
    for path in sorted(target.glob("syn_*.txt")):
        model = seeds[int(path.stem.rsplit("_", 1)[1])]
        lines += ["[[source]]", f'file = "{path.name}"', f'title = "Synthetic {path.stem}"',
                  f'publisher = "bench/corpus.py after {model.file}"',
                  f'edition = "synthetic-{path.stem}"', f'language = "{model.language}"']
        if model.survey_year is not None:
            lines.append(f"survey_year = {model.survey_year}")
        lines.append("")
    (target / "manifest.toml").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=int)
    parser.add_argument("target", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=int, default=0,
                        help="number of the first document (to add documents to a corpus)")
    args = parser.parse_args()
    written = write_corpus(args.documents, args.target, args.seed, args.start)
    size = sum(p.stat().st_size for p in written)
    print(f"{len(written)} documents, {size / 1e6:.1f} MB -> {args.target}")


if __name__ == "__main__":
    main()
