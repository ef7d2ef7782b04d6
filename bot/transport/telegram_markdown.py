"""Telegram's Markdown parse modes, as strict as Telegram: the offline transport refuses what
the Bot API refuses ("Bad Request: can't parse entities: …").

``parse_v2`` follows MarkdownV2 as tdlib parses it (``parse_markdown_v2``): every character of
``_*[]()~`>#+-=|{}.!`` outside an entity is reserved and must be escaped with ``\\``; ``*bold*``,
``_italic_``, ``__underline__``, ``~strike~``, ``||spoiler||``, ``[text](url)``,
``![emoji](tg://emoji?id=…)``, ``` `code` ``` and ```` ```pre``` ````, and ``>`` quotes at the
start of a line; inside code only ``` ` ``` and ``\\`` are escaped. ``parse_legacy`` is the old
``Markdown`` mode: ``*bold*``, ``_italic_``, ``` `code` ```, ```` ```pre``` ```` and
``[text](url)``, nothing nested, nothing escaped but those.
"""

from __future__ import annotations

RESERVED = "_*[]()~`>#+-=|{}.!"


class MarkdownError(ValueError):
    """What Telegram answers after "Bad Request: can't parse entities: "."""


def _offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8"))


def _reserved(char: str) -> MarkdownError:
    return MarkdownError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _url_end(text: str, i: int) -> int:
    """``text[i]`` is the ``(`` after ``]``: the index after the closing ``)``."""
    j = i + 1
    while j < len(text) and text[j] != ")":
        j += 2 if text[j] == "\\" else 1
    if j >= len(text):
        raise MarkdownError(f"Can't find end of a URL at byte offset {_offset(text, i + 1)}")
    return j + 1


def parse_v2(text: str) -> str:
    """The plain text Telegram would show; raises ``MarkdownError`` where Telegram refuses."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # (entity type, byte offset of its start)
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        top = stack[-1][0] if stack else ""
        if top in ("Code", "Pre", "PreCode"):
            if char == "\\" and i + 1 < n and text[i + 1] in "`\\":
                out.append(text[i + 1])
                i += 2
            elif top == "Code" and char == "`":
                stack.pop()
                i += 1
            elif top != "Code" and text.startswith("```", i):
                stack.pop()
                i += 3
            else:
                out.append(char)
                i += 1
            continue
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            i += 2
            continue
        if char not in RESERVED:
            out.append(char)
            i += 1
            continue
        ends = {
            "Bold": char == "*",
            "Italic": char == "_" and not text.startswith("__", i),
            "Underline": text.startswith("__", i),
            "Strikethrough": char == "~",
            "Spoiler": text.startswith("||", i),
            "TextUrl": char == "]",
            "CustomEmoji": char == "]",
        }
        if ends.get(top, False):
            stack.pop()
            if top in ("Underline", "Spoiler"):
                i += 2
            elif top in ("TextUrl", "CustomEmoji"):
                i += 1
                if i < n and text[i] == "(":
                    i = _url_end(text, i)
                elif top == "CustomEmoji":
                    raise MarkdownError(
                        f"Custom emoji entity must contain a tg://emoji URL at byte offset "
                        f"{_offset(text, i)}"
                    )
            else:
                i += 1
            continue
        start = _offset(text, i)
        if char == "_" and text.startswith("__", i):
            stack.append(("Underline", start))
            i += 2
        elif char == "_":
            stack.append(("Italic", start))
            i += 1
        elif char == "*":
            stack.append(("Bold", start))
            i += 1
        elif char == "~":
            stack.append(("Strikethrough", start))
            i += 1
        elif char == "|" and text.startswith("||", i):
            stack.append(("Spoiler", start))
            i += 2
        elif char == "[":
            stack.append(("TextUrl", start))
            i += 1
        elif char == "!" and text.startswith("![", i):
            stack.append(("CustomEmoji", start))
            i += 2
        elif char == "`" and text.startswith("```", i):
            i += 3
            language_end = i
            while (
                language_end < n and not text[language_end].isspace() and text[language_end] != "`"
            ):
                language_end += 1
            kind = "Pre"
            if language_end != i and language_end < n and text[language_end] != "`":
                kind, i = "PreCode", language_end
            if i < n and text[i] in "\r\n":
                i += 2 if i + 1 < n and text[i + 1] in "\r\n" and text[i + 1] != text[i] else 1
            stack.append((kind, start))
        elif char == "`":
            stack.append(("Code", start))
            i += 1
        elif char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # a quote: the line is shown without its ">"
        else:
            raise _reserved(char)
    if stack:
        kind, start = stack[-1]
        raise MarkdownError(f"Can't find end of {kind} entity at byte offset {start}")
    return "".join(out)


_LEGACY_ENDS = {"*": "*", "_": "_", "`": "`", "[": "]"}


def parse_legacy(text: str) -> str:
    """The plain text Telegram shows for ``parse_mode=Markdown``; ``MarkdownError`` where
    Telegram refuses."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
            continue
        if char not in _LEGACY_ENDS:
            out.append(char)
            i += 1
            continue
        start = i
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise MarkdownError(
                    f"Can't find end of the entity starting at byte offset {_offset(text, start)}"
                )
            body = text[i + 3 : end]
            first, newline, rest = body.partition("\n")
            out.append(rest if newline and first and " " not in first else body)
            i = end + 3
            continue
        end = text.find(_LEGACY_ENDS[char], i + 1)
        if end < 0:
            raise MarkdownError(
                f"Can't find end of the entity starting at byte offset {_offset(text, start)}"
            )
        out.append(text[i + 1 : end])
        i = end + 1
        if char == "[" and i < n and text[i] == "(":
            close = text.find(")", i)
            if close < 0:
                raise MarkdownError(
                    f"Can't find end of a URL at byte offset {_offset(text, i + 1)}"
                )
            i = close + 1
    return "".join(out)
