"""Mail HTML: user-authored HTML made safe to show (`sanitise_html`), and HTML
to readable plain text, for the text of an inbound message that came as HTML
only (support) and the text part of an email template (marketing).

Block elements break lines, `<br>` ends a line, list items get "- ", table
cells of a row stay on one line, blockquotes become "> " quotes (support finds
quoted history by them), `<pre>` keeps its lines, and scripts, styles and the
head are dropped. With `links=True` each link's address is written after its
text, as "text (https://…)", so a reader of the text part can still follow it."""

import re
from html.parser import HTMLParser

import nh3


def sanitise_html(html: str) -> str:
    """nh3's allow-list: scripts, styles, event handlers and javascript: links gone
    (with the content of scripts and styles); text, links and merge fields kept."""
    if not html.strip():
        return ""
    return nh3.clean(html, clean_content_tags={"script", "style", "title", "template"}).strip()


# Addresses never worth writing out: they do nothing in plain text, or harm.
_INERT_LINK = re.compile(r"^\s*(?:javascript|data|vbscript):", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    _BLOCKS = {"p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre"}
    _SKIP = {"script", "style", "head", "title", "template"}

    def __init__(self, *, links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._links = links
        self._current: list[str] = []
        self._skip = 0
        self._quote = 0
        self._pre = 0
        self._href = ""
        self._anchor_text: list[str] = []

    def flush(self, *, force: bool = False) -> None:
        text = "".join(self._current)
        spacer = "\xa0" in text and not text.strip()  # Outlook's <p>&nbsp;</p> is its blank line
        text = text.strip("\n") if self._pre else " ".join(text.split())
        if text or force or spacer:
            self.lines.append("> " * self._quote + text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "a" and self._links:
            self._href = dict(attrs).get("href") or ""
            self._anchor_text = []
        elif tag == "br":
            self.flush(force=True)
        elif tag == "blockquote":
            self.flush()
            self._quote += 1
        elif tag in self._BLOCKS:
            self.flush()
            self._pre += tag == "pre"
            if tag == "li":
                self._current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._links:
            self._write_link()
        elif tag == "blockquote":
            self.flush()
            self._quote = max(0, self._quote - 1)
        elif tag in ("td", "th"):
            self._current.append(" ")  # cells of a row stay on one line
        elif tag in self._BLOCKS:
            self.flush()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._current.append(data)
            if self._href:
                self._anchor_text.append(data)

    def _write_link(self) -> None:
        href, text = self._href.strip(), " ".join("".join(self._anchor_text).split())
        self._href = ""
        if not href or _INERT_LINK.match(href) or href in (text, f"mailto:{text}"):
            return
        self._current.append(f" ({href})")


def html_to_text(html: str, *, links: bool = False) -> str:
    """Readable plain text from HTML; `links=True` writes each link's address after its text."""
    parser = _TextExtractor(links=links)
    parser.feed(html)
    parser.close()
    parser.flush()
    text = "\n".join(line.rstrip() for line in parser.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
