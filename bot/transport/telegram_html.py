"""Telegram's HTML parse mode, as strict as Telegram: the offline transport refuses what the
Bot API refuses ("Bad Request: can't parse entities: …"), so a message with an unescaped
``<`` in a user's text fails in the tests, not in front of people.

The rules follow Telegram's documentation and its parser (tdlib ``parse_html``): the tags
``b strong i em u ins s strike del span(class="tg-spoiler") tg-spoiler a(href) code pre
blockquote tg-emoji``, properly nested; ``&lt; &gt; &amp; &quot;`` and numeric character
references; an ``&`` that starts no entity is kept as it is.
"""

from __future__ import annotations

import html
import re

TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTRIBUTES = re.compile(
    r"""\s*(?:([a-zA-Z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?)\s*"""
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


class HtmlError(ValueError):
    """What Telegram answers after "Bad Request: can't parse entities: "."""


def parse(text: str) -> str:
    """The plain text Telegram would show; raises ``HtmlError`` where Telegram refuses."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "&":
            match = _ENTITY.match(text, i)
            if match:
                out.append(html.unescape(match.group(0)))
                i = match.end()
                continue
            out.append(char)
            i += 1
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        offset = len(text[:i].encode("utf-8"))
        end = text.find(">", i)
        if end == -1:
            raise HtmlError(f"Unclosed start tag at byte offset {offset}")
        inside = text[i + 1 : end]
        if inside.startswith("/"):
            name = inside[1:].strip().lower()
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {offset}")
            if name != stack[-1]:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            i = end + 1
            continue
        match = _NAME.match(inside)
        name = match.group(0).lower() if match else ""
        if name not in TAGS:
            shown = inside.split()[0] if inside.split() else ""
            raise HtmlError(f'Unsupported start tag "{shown}" at byte offset {offset}')
        rest = inside[len(name) :]
        if rest.strip() and not _ATTRIBUTES.fullmatch(rest):
            raise HtmlError(f'Unclosed start tag "{name}" at byte offset {offset}')
        stack.append(name)
        i = end + 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)
