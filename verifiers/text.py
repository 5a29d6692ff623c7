"""Small text helpers shared by the verifiers: bold spans, ``\\boxed{}``, number words."""

from __future__ import annotations

import re

NUMBER_WORDS: dict[str, str] = {
    w: str(n)
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}

# A bold span never crosses a line: one stray "**" then cannot pair up every later span
# wrongly (markdown bold does not cross paragraphs either).
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_BOX_START = re.compile(r"\\(?:boxed|fbox)\s*\{")


def bold_spans(text: str) -> list[str]:
    """Every ``**…**`` span, in order (markdown bold; no nested asterisks)."""
    return _BOLD.findall(text)


def number_value(word: str) -> str:
    """``"three"`` -> ``"3"``; anything else comes back stripped and lower-cased."""
    w = word.strip().lower()
    return NUMBER_WORDS.get(w, w)


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{…}`` (or ``\\fbox{…}``), braces balanced; None if absent.

    Models sometimes escape the backslash (``\\\\boxed``); the pattern matches either.
    """
    starts = list(_BOX_START.finditer(text))
    for m in reversed(starts):
        depth, i = 1, m.end()
        while i < len(text):
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[m.end() : i]
            i += 1
    return None


def strip_text_macros(s: str) -> str:
    """Drop ``\\text{``-style wrappers, braces and backslashes: ``\\text{(B)}`` -> ``(B)``."""
    s = re.sub(r"\\text(?:bf|rm|it)?\s*\{", "", s)
    return s.replace("{", "").replace("}", "").replace("\\", "").strip()


def edit_distance(a: list[object], b: list[object]) -> int:
    """Levenshtein distance between two sequences (insert, delete, substitute cost 1)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        cur = [i]
        for j, y in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]
