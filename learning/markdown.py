"""The one path from author Markdown to HTML on a page: Python-Markdown, then nh3, then Markup.

A lesson (or a quiz text) can neither run script nor load a remote resource: tags and
attributes are allow-listed, `javascript:` and `data:` URLs are dropped, and every image,
audio, video or caption source must be a relative path, which `resolve_url` maps to the
platform's own file URL. Must not import feature packages.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import markdown as md
import nh3
from markupsafe import Markup

from learning.text import fold

# Bump when the rendering pipeline changes: cached lesson HTML is then rebuilt once.
RENDERER_VERSION = 3

EXTENSIONS = ["tables", "fenced_code", "admonition", "footnotes", "toc", "sane_lists"]
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s",
    "del", "ins", "mark", "small", "sub", "sup", "code", "pre", "kbd", "samp", "blockquote",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "a", "img", "figure", "figcaption", "div", "span", "details", "summary", "abbr",
    "video", "audio", "source", "track",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "video": {"src", "poster", "width", "height", "preload"},
    "audio": {"src", "preload"},
    "source": {"src", "type"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "th": {"colspan", "rowspan", "style"},
    "td": {"colspan", "rowspan", "style"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {
    "div": {"admonition", "note", "tip", "hint", "important", "warning", "caution", "danger",
            "attention", "error", "footnote", "toc"},
    "p": {"admonition-title"},
    "sup": {"footnote-ref"},
    "code": {f"language-{name}" for name in (
        "text", "bash", "sh", "shell", "python", "json", "xml", "html", "css", "sql", "toml",
        "yaml", "ini", "powershell", "javascript", "csv")},
}
MEDIA_SOURCES = {("img", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"),
                 ("source", "src"), ("track", "src")}
UrlResolver = Callable[[str, str, str], "str | None"]


def _slugify(value: str, separator: str) -> str:
    """Heading ids that keep Vietnamese readable: 'Chữ ký số' -> 'chu-ky-so'."""
    return re.sub(r"[^a-z0-9]+", separator, fold(value)).strip(separator) or "section"


def is_remote(url: str) -> bool:
    """Tell whether a URL leaves the platform (has a scheme or a host)."""
    # Read it as a browser does: tabs and newlines dropped, "\\" taken for "/", so
    # "\\\\host/x.png" and "/\\host/x.png" are other hosts just like "//host/x.png".
    url = re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(33)))).replace("\\", "/")
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or url.startswith("//")


# Python-Markdown reads the rest of a paragraph again from every "[" it cannot close into a
# link (a link's text and address are looked for up to the paragraph's end), and from every
# "<" that opens a tag no ">" closes, in time growing with the square of their number: 1,000
# take 0.1-0.4 s, 4,000 three to six seconds, 20,000 a minute and a half. No lesson or
# question needs that many: a text with more than MAX_BRACKETS of either is refused by the
# package checks, and shown as plain text if met anyway.
MAX_BRACKETS = 1000
_UNCLOSED_TAG = re.compile(r"<[A-Za-z/!?][^<>]*(?=<|\Z)")  # each "<" read once: linear


def markdown_problem(text: str) -> str | None:
    """Return why a text cannot be shown as Markdown in reasonable time (for a package's
    import problems), or None."""
    text = text or ""
    brackets = text.count("[")
    if brackets > MAX_BRACKETS:
        return f"{brackets} “[” in one text, at most {MAX_BRACKETS}"
    if text.count("<") > MAX_BRACKETS:
        unclosed = sum(1 for _ in _UNCLOSED_TAG.finditer(text))
        if unclosed > MAX_BRACKETS:
            return (f"{unclosed} “<” opening a tag that no “>” closes in one text, at most "
                    f"{MAX_BRACKETS}")
    return None


@functools.lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> str:
    """Convert Markdown to (unsanitised) HTML with the lesson extensions; a text Markdown
    would take too long over is shown as plain text (see MAX_BRACKETS).

    Remembered per text: a quiz page converts every question, option and feedback text on
    each view, and building a converter costs more than the conversion itself."""
    if markdown_problem(text):
        return "".join(f"<p>{html.escape(block).replace(chr(10), '<br>' + chr(10))}</p>\n"
                       for block in re.split(r"\n\s*\n", text.strip()))
    converter = md.Markdown(
        extensions=EXTENSIONS,
        extension_configs={"toc": {"slugify": _slugify, "permalink": False},
                           "footnotes": {"BACKLINK_TITLE": ""}},
        output_format="html",
    )
    return converter.convert(text or "")


def sanitize_html(html: str, resolve_url: UrlResolver | None = None) -> str:
    """Remove everything unsafe from HTML; map relative URLs through `resolve_url`."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if (tag, attribute) in MEDIA_SOURCES:
            if is_remote(value) or not value.strip():
                return None  # no remote (or data:) media: a lesson loads nothing from outside
            return resolve_url(tag, attribute, value) if resolve_url else value
        if tag == "a" and attribute == "href":
            if is_remote(value) or value.startswith("#"):
                return value
            return resolve_url(tag, attribute, value) if resolve_url else value
        if attribute == "style":
            match = re.fullmatch(r"\s*text-align:\s*(left|right|center)\s*;?\s*", value)
            return f"text-align: {match.group(1)}" if match else None
        return value

    return _EMPTY_HEADER_CELL.sub(r"<td\1></td>", nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes={"http", "https", "mailto", "tel"},
        allowed_classes=ALLOWED_CLASSES,
        set_tag_attribute_values={"video": {"controls": ""}, "audio": {"controls": ""}},
        link_rel="noopener noreferrer",
    ))


# A header cell without text (the corner of a Markdown table) announces nothing: a plain cell.
_EMPTY_HEADER_CELL = re.compile(r"<th(\s[^>]*)?>(?:\s|&nbsp;|&#160;)*</th>")


def render(text: str, resolve_url: UrlResolver | None = None) -> Markup:
    """Render author Markdown to safe HTML markup."""
    return Markup(sanitize_html(markdown_to_html(text), resolve_url))


_LEADING_H1 = re.compile(r"\A\s*<h1(?: [^>]*)?>(.*?)</h1>\s*", re.S)
_HEADING = re.compile(r"<(/?)h([1-5])(?=[\s>])")


def fit_under_title(html: str, title: str) -> str:
    """Make author HTML sit under a page whose <h1> is `title`: drop a first heading that only
    repeats the title, and move the remaining headings one level down (h1 -> h2 ...)."""
    match = _LEADING_H1.match(html)
    if match and fold(re.sub(r"<[^>]+>", "", match.group(1))) == fold(title):
        html = html[match.end():]
    if "<h1" not in html:
        return html
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", html)
