"""The executed notebook as a page that loads nothing: no script, no font, nothing from elsewhere.

Private to :mod:`kerasguide.grading`. nbconvert's page, with whatever the student's
cells and outputs hold (raw HTML in Markdown, HTML outputs, SVG), is read with
:mod:`html.parser` and written again from what the parser read, keeping only what
loads nothing:

- elements that run or embed something are left out with what they hold: ``script``,
  ``iframe``, ``frame``, ``object``, ``embed``, ``applet``, ``link``, ``base``, ``meta``
  with ``http-equiv``, and SVG animations (they can set a link); an embedded frame
  leaves a note;
- an attribute that names a resource (``src``, ``href``, ``srcset``, ``poster``,
  ``data``, ``action``…) stays only when it is a ``data:`` URL or a fragment
  (``#id``; a link, only a fragment), otherwise its address is shown on hover;
- event handlers (``on…``) go;
- CSS, in ``<style>`` and in attributes, loses ``@import``, ``@font-face``, and each
  ``url()`` and ``image-set()`` that is not ``data:`` or a fragment; CSS that still
  names something once its escapes are read goes whole;
- text the parser did not read as markup is written as text; comments go.

A Content-Security-Policy that allows inline styles and ``data:`` images, media and
fonts only is put first in the head: what a browser might still find, it does not
load either.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["CSP", "offline"]

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; media-src data:; font-src data:"
)
_CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'

# Left out with everything they hold (the void ones have no content).
_DROPPED = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "link",
    "base",
    "portal",
    "param",
    "animate",
    "set",
    "animatemotion",
    "animatetransform",
    "discard",
}
_FRAMES = {"iframe", "frame", "frameset", "object", "embed", "applet", "portal"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
    "frame",
    "keygen",
}
# Attributes whose value is an address the browser loads (or follows, for links).
_ADDRESSES = {
    "href",
    "src",
    "srcset",
    "imagesrcset",
    "poster",
    "data",
    "action",
    "formaction",
    "background",
    "cite",
    "longdesc",
    "usemap",
    "codebase",
    "classid",
    "archive",
    "manifest",
    "ping",
    "lowsrc",
    "dynsrc",
    "profile",
    "icon",
    "xlink:href",
    "xml:base",
    "attributionsrc",
}
_LINKS = {"a", "area"}
_SETS = {"srcset", "imagesrcset"}  # lists of addresses: never kept
_CSS_LIKE = re.compile(r"(?i)url\(|image-set\(|@import")

_IMPORT = re.compile(r"@import\b[^;]*(?:;|$)", re.IGNORECASE)
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}?", re.IGNORECASE)
_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*(?:\)|$)""", re.IGNORECASE)
_IMAGE_SET = re.compile(r"(?:-webkit-)?image-set\((?:[^()]|\([^()]*\))*(?:\)|$)", re.IGNORECASE)
_QUOTED = re.compile(r"""["']([^"']*)["']""")
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_NAME = re.compile(r"[a-z][a-z0-9_.:-]*\Z")  # a tag or attribute written again; others go


def offline(page_html: str) -> str:
    """``page_html`` with nothing that runs and nothing that loads from anywhere."""
    rebuilt = _Rebuild()
    rebuilt.feed(page_html)
    rebuilt.close()
    return rebuilt.text()


def _local(address: str, *, link: bool = False) -> bool:
    """A fragment (``#id``), or a ``data:`` URL where something is loaded (not a link)."""
    bare = _CONTROL.sub("", address).lower()
    return bare.startswith("#") or (not link and bare.startswith("data:"))


def css(text: str) -> str:
    """CSS without imports, web fonts or addresses other than ``data:`` and fragments."""
    text = _IMPORT.sub("", _FONT_FACE.sub("", text))
    text = _URL.sub(lambda m: m.group(0) if _local(_url_of(m)) else "none", text)
    text = _IMAGE_SET.sub(
        lambda m: m.group(0) if all(_local(q) for q in _QUOTED.findall(m.group(0))) else "none",
        text,
    )
    return "" if _names_something(_unescape_css(text)) else text


def _url_of(match: re.Match[str]) -> str:
    return next((g for g in match.groups() if g is not None), "")


def _names_something(text: str) -> bool:
    """True when CSS (escapes read) still imports or names an address from elsewhere."""
    if _IMPORT.search(text):
        return True
    if any(not _local(_url_of(m)) for m in _URL.finditer(text)):
        return True
    for found in _IMAGE_SET.finditer(text):
        if not all(_local(q) for q in _QUOTED.findall(found.group(0))):
            return True
    # an url( the patterns above do not read (no closing quote...): nothing to keep
    return any(not _local(rest.lstrip(" \t\n\"'")) for rest in re.split(r"(?i)url\(", text)[1:])


def _unescape_css(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return match.group(2)
        code = int(match.group(1), 16)
        return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"

    return _CSS_ESCAPE.sub(one, text)


class _Rebuild(HTMLParser):
    """The page written again from what :class:`HTMLParser` read, element by element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.dropping: list[str] = []  # the left-out elements we are inside of
        self.style: list[str] | None = None  # the text of the <style> we are in
        self.head = False

    def text(self) -> str:
        if self.style is not None:
            self.out.append(css("".join(self.style)))
        if not self.head:  # no <head>: the policy goes first (after the doctype)
            at = 1 if self.out[:1] and self.out[0].startswith("<!DOCTYPE") else 0
            self.out.insert(at, _CSP_META)
        return "".join(self.out)

    # --- elements ---

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        if self.dropping:
            if tag == self.dropping[-1] and not closed and tag not in _VOID:
                self.dropping.append(tag)
            return
        if not _NAME.match(tag):
            return  # not a name a browser would read as this element: its text stays
        refresh = tag == "meta" and any(name == "http-equiv" for name, _ in attrs)
        if tag in _DROPPED or refresh:
            if tag in _FRAMES:
                self.out.append("<i>[an embedded frame is left out: this page loads nothing]</i>")
            if not closed and tag not in _VOID:
                self.dropping.append(tag)
            return
        kept = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value)}"'
            for name, value in _attributes(tag, attrs)
        )
        self.out.append(f"<{tag}{kept}{' /' if closed else ''}>")
        if tag == "head" and not self.head:
            self.head = True
            self.out.append(_CSP_META)
        if tag == "style" and not closed:
            self.style = []

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if not _NAME.match(tag):
            return
        if tag == "style" and self.style is not None:
            self.out.append(css("".join(self.style)))
            self.style = None
        self.out.append(f"</{tag}>")

    # --- text ---

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.style is not None:
            self.style.append(data)
        else:
            self.out.append(data.replace("<", "&lt;").replace(">", "&gt;"))

    def handle_entityref(self, name: str) -> None:
        self.handle_data("&" + name + ";")  # kept as written: it cannot make markup

    def handle_charref(self, name: str) -> None:
        self.handle_data("&#" + name + ";")

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype") and not self.out:
            self.out.append("<!DOCTYPE html>")

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):  # SVG and MathML: text
            self.handle_data(data[len("CDATA[") :])

    def handle_comment(self, data: str) -> None:
        pass

    def handle_pi(self, data: str) -> None:
        pass


def _attributes(tag: str, attrs: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The attributes that load nothing; an address left out is shown on hover."""
    kept: list[tuple[str, str | None]] = []
    away: list[str] = []
    for name, value in attrs:
        if name.startswith("on") or not _NAME.match(name):
            continue
        if name in _ADDRESSES:
            link = tag in _LINKS and name == "href"
            if value is not None and name not in _SETS and _local(value, link=link):
                kept.append((name, value))
            elif value:
                away.append(value)
        elif value is not None and (name == "style" or _CSS_LIKE.search(value)):
            cleaned = css(value)  # style=, and SVG's fill="url(...)", filter=, mask=...
            if cleaned.strip():
                kept.append((name, cleaned))
        else:
            kept.append((name, value))
    names = {name for name, _ in kept}
    if away and "title" not in names:
        kept.append(("title", "not loaded (this page loads nothing): " + " ".join(away)[:300]))
    if away and tag == "img" and "alt" not in names:
        kept.append(("alt", "[an image from elsewhere, not loaded]"))
    return kept
