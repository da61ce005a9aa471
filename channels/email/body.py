"""What the citizen wrote in an e-mail: HTML turned into text, quoted replies and signatures cut.

``html_to_text`` uses the standard library's ``HTMLParser``: an HTML-only mail needs its
words and line breaks, not Markdown (``html2text`` makes Markdown and is GPL-3.0), and no
script, style or comment text. ``latest_reply`` keeps what the writer added above the
quoted mail and the signature, in Indonesian and English mail clients' words:

    Pada Sen, 3 Mar 2025 pukul 10.00 Budi <budi@example.id> menulis:   (Gmail, Indonesian)
    On Mon, 3 Mar 2025 at 10:00, Budi <budi@example.id> wrote:        (Gmail, Apple Mail)
    -----Original Message----- / -----Pesan Asli-----                   (Outlook)
    From: ... / Dari: ... followed by Sent:/Dikirim: (or Date:/Tanggal:)  (Outlook)
    > quoted lines                                                        (every client)
    "-- " then the signature (RFC 3676), "Sent from my ..." / "Dikirim dari ..."

No library tried handles the Indonesian forms (``email-reply-parser`` and
``mail-parser-reply`` know English and a dozen other languages, not Indonesian), so the
rules are here, small and tested in both languages. When cutting would leave nothing (a
mail that is all quote), the text is kept whole: a complaint is never emptied by a guess.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "pre", "table", "ul", "ol", "hr", "section", "article"})
_HIDDEN = frozenset({"script", "style", "head", "title", "template"})


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: block elements as line breaks, runs of spaces and
    blank lines collapsed."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# A quote header may be wrapped over two lines by the client ("On Mon, ... Budi\n<b@x> wrote:").
_QUOTE_HEADER = re.compile(
    r"^[ \t]*(?:On|Pada)\b[^\n]{0,300}?(?:\n[^\n]{0,200}?)?\b(?:wrote|menulis)[ \t]*:[ \t]*$",
    re.IGNORECASE | re.MULTILINE)
_SEPARATOR = re.compile(r"^[ \t]*-{3,}[ \t]*(?:Original Message|Pesan Asli|Forwarded message|"
                        r"Pesan yang diteruskan)[ \t]*-{3,}[ \t]*$", re.IGNORECASE | re.MULTILINE)
_OUTLOOK = re.compile(r"^[ \t*]*(?:From|Dari)[ \t*]*:[^\n]*\n(?:[^\n]*\n)?[ \t*]*"
                      r"(?:Sent|Dikirim|Date|Tanggal)[ \t*]*:", re.IGNORECASE | re.MULTILINE)
_SIGNATURE = re.compile(r"^(?:-- ?|__+)[ \t]*$|^[ \t]*(?:Sent from my|Dikirim dari)\b",
                        re.IGNORECASE | re.MULTILINE)


def latest_reply(text: str) -> str:
    """``text`` without the quoted earlier mail and the signature (whole if nothing is left)."""
    text = text.replace("\r\n", "\n")
    cut = len(text)
    for pattern in (_QUOTE_HEADER, _SEPARATOR, _OUTLOOK, _SIGNATURE):
        found = pattern.search(text)
        if found:
            cut = min(cut, found.start())
    kept = [line for line in text[:cut].splitlines() if not line.lstrip().startswith(">")]
    reply = "\n".join(kept).strip()
    return reply or text.strip()
