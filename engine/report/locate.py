"""Where in a judge's reply its verdict was found, for the viewer to highlight; pure.

The judges' parsers (engine/judges) decide; this module only points at the text they
read, by judge type: `[[A>B]]` labels (arena_hard, compass_judger, multi_agent),
`Output (a)` (vanilla), `[RESULT] A` (prometheus2), `[[A]]` (skywork_critic), the last
`final decision is ...` (autoj), the first line (judgelm's two scores, pandalm's 1/2/Tie),
the scores of a reward model. An unknown type is searched with all of these patterns.
Spans are (start, end) character offsets into the text; when the parser found no decision
every candidate is returned, which shows why (two labels that disagree, say).
"""

from __future__ import annotations

import re
from collections.abc import Callable

Span = tuple[int, int]
Finder = Callable[[str], list[Span]]

_LABEL = re.compile(r"\[\[\s*(?:A\s*>>?\s*B|A\s*=\s*B|B\s*>>?\s*A)\s*\]\]")
_VANILLA = re.compile(r"output\s*\(\s*[ab]\s*\)", re.IGNORECASE)
_RESULT = re.compile(
    r"(?:\[RESULT\]\s*:?|\[RESULT:|(?:^|\n)\s*RESULT\s*:)\s*(?:RESPONSE\s+)?\(?[AB]\b",
    re.IGNORECASE,
)
_LETTER = re.compile(r"\[\[\s*[AB]\s*\]\]")
_AUTOJ = re.compile(r"final decision is\s*[*\"'`:]*\s*(?:response\s*[12]|tie)", re.IGNORECASE)
_SCORES = re.compile(r'"scores"\s*:\s*\[[^\]]*\]')
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 units each


def _all(pattern: re.Pattern[str]) -> Callable[[str], list[Span]]:
    def find(text: str) -> list[Span]:
        return [m.span() for m in pattern.finditer(text)]

    return find


def _last(pattern: re.Pattern[str]) -> Callable[[str], list[Span]]:
    def find(text: str) -> list[Span]:
        spans = [m.span() for m in pattern.finditer(text)]
        return spans[-1:]

    return find


def _first_line(text: str) -> list[Span]:
    m = re.search(r"\S[^\n]*", text)
    if not m:
        return []
    start = m.start()
    return [(start, start + len(m.group(0).rstrip()))]


def _skywork(text: str) -> list[Span]:
    spans = _all(_LETTER)(text)
    if not spans and text.strip().strip("*.`") in ("A", "B"):
        return _first_line(text)
    return spans


# Keys are compared without "_" or "-": JudgeBench's own files name the same judges
# `prometheus_2`, `judge_lm`, `panda_lm`, `auto_j`.
FINDERS: dict[str, Callable[[str], list[Span]]] = {
    "arenahard": _all(_LABEL),
    "compassjudger": _all(_LABEL),
    "multiagent": _all(_LABEL),
    "vanilla": _all(_VANILLA),
    "prometheus2": _all(_RESULT),
    "skyworkcritic": _skywork,
    "autoj": _last(_AUTOJ),
    "judgelm": _first_line,
    "pandalm": _first_line,
    "rewardmodel": _all(_SCORES),
}
_ANY = (_LABEL, _VANILLA, _RESULT, _LETTER, _AUTOJ, _SCORES)


def _any(text: str) -> list[Span]:
    return [m.span() for p in _ANY for m in p.finditer(text)]


def finder_for(judge_type: str | None) -> Callable[[str], list[Span]]:
    """The span finder for a judge type (all patterns for an unknown type)."""
    return FINDERS.get(re.sub(r"[_-]", "", (judge_type or "").lower()), _any)


def verdict_spans(
    judge_type: str | None, text: str | None, finder: Callable[[str], list[Span]] | None = None
) -> list[Span]:
    """Offsets of the verdict marks in `text`, sorted and without overlaps."""
    if not text:
        return []
    spans = (finder or finder_for(judge_type))(text)
    if len(spans) <= 1:
        return [s for s in spans if s[1] > s[0]]
    out: list[Span] = []
    for s, e in sorted(set(spans)):
        if e > s and (not out or s >= out[-1][1]):
            out.append((s, e))
    return out


def utf16_offsets(text: str, spans: list[Span]) -> list[Span]:
    """Character offsets as a browser counts them (UTF-16 code units)."""
    if text.isascii() or not _ASTRAL.search(text):
        return spans  # every character is one UTF-16 unit

    def unit(i: int) -> int:
        return len(text[:i].encode("utf-16-le")) // 2

    return [(unit(s), unit(e)) for s, e in spans]
