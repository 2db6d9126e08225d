"""Real PDF and HTML files made from the plain-text sources, for the format readers' tests.

The PDF is typeset by typst (the `typst` package) the way reports look:
justified, hyphenated, narrow pages, a running header, a footer with the
publisher and "page x of y", and a bare page number. The HTML page wraps the
article in a site's navigation, a "related articles" box, comments and a
footer, with its metadata in <meta> tags.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

CJK_FONTS = Path("/usr/share/fonts/opentype/noto")

_TYPST_PAGE = """
#let doc = json("doc.json")
#set document(title: doc.title, author: doc.author)
#set page(paper: "a5", margin: (x: 1.9cm, top: 2.4cm, bottom: 2.6cm),
  header: [#set text(size: 8pt); #doc.running #h(1fr) #doc.edition],
  footer: context [
    #set text(size: 8pt)
    #align(center)[#counter(page).display()]
    #doc.publisher #h(1fr) #doc.page_word #counter(page).display() / #counter(page).final().first()
  ])
#set text(lang: doc.lang, font: ("Libertinus Serif", "Noto Serif CJK SC"), size: 10pt,
          hyphenate: true)
#set par(justify: true)
#for p in doc.paras [#p #parbreak()]
"""

_PAGE_WORD = {"de": "Seite", "tr": "Sayfa", "zh": "页", "en": "Page"}


def paragraphs(text: str) -> list[str]:
    """The source's lines: each is a paragraph (the plain-text corpus keeps one per line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def render_pdf(text: str, language: str, title: str, target: Path) -> Path:
    """Typeset `text` as a multi-page report PDF at `target`."""
    import typst

    work = target.parent / f".{target.stem}-typst"
    work.mkdir(parents=True, exist_ok=True)
    (work / "doc.json").write_text(json.dumps({
        "title": title, "author": "Polystat Testredaktion", "lang": language,
        "running": title[:40], "edition": "Ausgabe 2021", "publisher": "Muster Research GmbH",
        "page_word": _PAGE_WORD.get(language, "Page"), "paras": paragraphs(text),
    }, ensure_ascii=False), encoding="utf-8")
    (work / "main.typ").write_text(_TYPST_PAGE, encoding="utf-8")
    fonts = [str(CJK_FONTS)] if CJK_FONTS.is_dir() else []
    target.write_bytes(typst.compile(str(work / "main.typ"), font_paths=fonts))
    return target


def render_html(text: str, language: str, title: str, target: Path, *,
                author: str = "Jana Beispiel", published: str = "2021-05-17",
                url: str = "https://news.example.org/kundenservice/studie-2021") -> Path:
    """The article inside a typical news page: navigation, teasers, comments, footer."""
    heading, *rest = paragraphs(text)
    body = "\n".join(f"      <p>{html.escape(p)}</p>" for p in rest)
    teasers = "\n".join(
        f'        <li><a href="/artikel/{n}">Weitere Studie {n}: Trends im Handel</a></li>'
        for n in range(1, 6))
    page = f"""<!DOCTYPE html>
<html lang="{language}">
<head>
  <meta charset="utf-8">
  <title>{html.escape(title)} | Beispiel-News</title>
  <meta property="og:title" content="{html.escape(title)}">
  <meta name="author" content="{html.escape(author)}">
  <meta property="article:published_time" content="{published}T08:00:00+02:00">
  <link rel="canonical" href="{url}">
  <meta property="og:site_name" content="Beispiel-News">
</head>
<body>
  <header class="site-header">
    <nav class="main-nav"><ul>
      <li><a href="/">Startseite</a></li><li><a href="/wirtschaft">Wirtschaft</a></li>
      <li><a href="/technik">Technik</a></li><li><a href="/abo">Abo: 30 % Rabatt</a></li>
    </ul></nav>
    <div class="cookie-banner">Wir verwenden Cookies. 100 % Datenschutz. <a href="/ok">OK</a></div>
  </header>
  <main>
    <article class="article">
      <h1>{html.escape(heading)}</h1>
      <p class="byline">Von {html.escape(author)}, {published}</p>
{body}
    </article>
    <aside class="related-articles">
      <h2>Das könnte Sie auch interessieren</h2>
      <ul>
{teasers}
      </ul>
    </aside>
    <section id="comments" class="comments">
      <h2>Kommentare (3)</h2>
      <div class="comment"><p>Leser42: 99 % meiner Erfahrungen sind anders.</p></div>
      <div class="comment"><p>Anna: Spannend, danke für die 12 Grafiken!</p></div>
    </section>
  </main>
  <footer class="site-footer"><p>© 2021 Beispiel-News · Impressum · 25 Jahre Journalismus</p>
  </footer>
</body>
</html>
"""
    target.write_text(page, encoding="utf-8")
    return target
