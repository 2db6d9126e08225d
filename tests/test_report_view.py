"""The report as a reader sees it: headless Chromium screenshots and DOM, PDF pages as images."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
import report_fixtures as fx  # tests/ is on sys.path (pytest rootdir-relative import)

from reports.publish import publish

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    con = fx.build_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")
    try:
        result = publish(con, tmp_path_factory.mktemp("view") / "out")
    finally:
        con.close()
    return result.site_dir


def chromium(page: Path, tmp_path: Path, *action: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{page.stem}-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                           *action, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path)


def screenshot(page: Path, tmp_path: Path) -> np.ndarray:
    png = tmp_path / f"{page.stem}.png"
    chromium(page, tmp_path, f"--screenshot={png}", "--window-size=1280,2000")
    return read_png(png)


def dom(page: Path, tmp_path: Path) -> str:
    return chromium(page, tmp_path, "--dump-dom").stdout


# --------------------------------------------------------------------------- a tiny PNG reader


def read_png(path: Path) -> np.ndarray:
    """8-bit grey/RGB/RGBA PNG -> array (height, width, channels); enough for screenshots."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour {colour})")
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8)
    rows = raw.reshape(height, width * channels + 1)
    image = np.zeros((height, width * channels), dtype=np.uint8)
    previous = np.zeros(width * channels, dtype=np.uint8)
    for y in range(height):
        previous = image[y] = _unfilter(int(rows[y, 0]), rows[y, 1:], previous, channels)
    return image.reshape(height, width, channels)


def _unfilter(kind: int, line: np.ndarray, above: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 2:
        return line + above  # uint8 arithmetic wraps modulo 256 as PNG requires
    if kind == 1:  # each byte adds the reconstructed byte bpp to its left: a running sum
        summed = np.cumsum(line.reshape(-1, bpp).astype(np.int64), axis=0) % 256
        return summed.astype(np.uint8).reshape(-1)
    out = bytearray(len(line))
    for i, value in enumerate(line.tolist()):
        left = out[i - bpp] if i >= bpp else 0
        up = int(above[i])
        if kind == 3:
            out[i] = (value + (left + up) // 2) & 0xFF
            continue
        upper_left = int(above[i - bpp]) if i >= bpp else 0
        guess = left + up - upper_left
        pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - upper_left)
        predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
        out[i] = (value + predictor) & 0xFF
    return np.frombuffer(bytes(out), dtype=np.uint8)


def ink(image: np.ndarray) -> tuple[float, float]:
    """(share of non-white pixels, variance of grey levels)."""
    grey = image[..., :3].mean(axis=2) if image.shape[2] >= 3 else image[..., 0].astype(float)
    return float((grey < 235).mean()), float(grey.var())


def test_png_reader_matches_a_known_image(tmp_path: Path) -> None:
    """A 2x2 RGB PNG written by hand (Sub and Up filters) decodes to its pixels."""
    pixels = [[(255, 0, 0), (0, 255, 0)], [(0, 0, 255), (255, 255, 255)]]
    lines = b"\x01" + bytes([255, 0, 0, 1, 255, 0])  # Sub: second pixel minus the first
    lines += b"\x02" + bytes([1, 0, 255, 255, 0, 255])  # Up: minus the row above
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(lines)) + chunk(b"IEND", b""))
    path = tmp_path / "tiny.png"
    path.write_bytes(png)
    assert read_png(path).tolist() == [[list(p) for p in row] for row in pixels]


# --------------------------------------------------------------------------- HTML


@needs_chromium
@pytest.mark.parametrize("page", ["index", "trends"])
def test_page_renders_to_a_non_blank_screenshot(site: Path, tmp_path: Path, page: str) -> None:
    image = screenshot(site / f"{page}.html", tmp_path)
    assert image.shape[:2] == (2000, 1280)
    covered, variance = ink(image)
    assert covered > 0.02, f"{page}: almost nothing drawn ({covered:.3%} of pixels)"
    assert variance > 100, f"{page}: flat image (grey variance {variance:.0f})"
    nav = image[:40, :, :3].mean(axis=(0, 1))
    assert nav[2] > nav[0] + 40, f"{page}: the blue navigation bar is missing ({nav})"


@needs_chromium
def test_overview_dom_shows_headings_and_counts(site: Path, tmp_path: Path) -> None:
    html = dom(site / "index.html", tmp_path)
    for heading in ("Statistics from the reports", "At a glance", "Headline trends",
                    "What changed since the previous run"):
        assert heading in html
    glance = html[html.index('class="glance"'):]
    cells = [c.split("</strong>")[0] for c in glance.split("<strong>")[1:7]]
    assert cells == [str(len(fx.DOCUMENTS) + 1), "4", str(len(fx.FIGURES)), "5", "3", "2"]
    assert 'href="trends.html#trend-metric-survey-responses"' in html


@needs_chromium
def test_trends_dom_has_a_chart_and_table_per_trend(site: Path, tmp_path: Path) -> None:
    html = dom(site / "trends.html", tmp_path)
    # inline, so that hovering a point shows its <title>
    assert len(re.findall(r'<figure class="chart">\s*<svg', html)) == 3
    assert html.count("<h2") == 4  # three trends + the single-year table
    assert "Salesforce:2020 客户服务报告" in html
    assert "more than 7,000" in html.replace("\u00a0", " ").replace("&nbsp;", " ")


@needs_chromium
def test_hostile_title_is_text_in_the_live_dom(site: Path, tmp_path: Path) -> None:
    html = dom(site / "conflicts.html", tmp_path)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the one script is the page's own filter, loaded from the site folder
    assert re.findall(r"<script[^>]*>", html.lower()) == ['<script src="filter.js" defer="">']


# --------------------------------------------------------------------------- PDF


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_pages_render_with_ink(site: Path, tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(site / "polystat-report.pdf"),
                    str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # overview, trends, conflicts each start a page
    for page in pages:
        covered, variance = ink(read_png(page))
        assert covered > 0.01 and variance > 50, f"{page.name} looks blank"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_png_reader_agrees_with_poppler_on_every_filter(site: Path, tmp_path: Path) -> None:
    """The same PDF page as PNG (all five row filters) and as raw PPM gives the same pixels."""
    pdf = str(site / "polystat-report.pdf")
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", pdf,
                    str(tmp_path / "p")], check=True, timeout=60)
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", pdf, str(tmp_path / "p")],
                   check=True, timeout=60)
    png = read_png(next(tmp_path.glob("p-*.png")))
    ppm = next(tmp_path.glob("p-*.ppm")).read_bytes()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    assert header is not None, "pdftoppm wrote an unexpected PPM header"
    width, height = int(header.group(1)), int(header.group(2))
    raw = np.frombuffer(ppm[header.end():], dtype=np.uint8).reshape(height, width, 3)
    assert np.array_equal(png, raw)
