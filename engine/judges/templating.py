"""Judge template files: named sections and `{{name}}` placeholders, rendered in one pass.

A template is plain text split into sections by marker lines such as ``--- system ---``
and ``--- user ---``; text before the first marker belongs to ``user``. Placeholders are
substituted in a single pass, so an answer that itself contains ``{{question}}`` or braces
(code often does) is inserted verbatim and never re-expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

SECTION_RE = re.compile(r"^--- *([a-z_]+) *---[ \t]*$", re.MULTILINE)
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


class TemplateError(ValueError):
    """A template that cannot work: names its origin, line and the offending field."""


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def split_sections(text: str, origin: str) -> dict[str, str]:
    """Section name -> body (surrounding blank lines trimmed). Repeated sections are errors."""
    sections: dict[str, str] = {}
    marks = list(SECTION_RE.finditer(text))
    head = text[: marks[0].start()] if marks else text
    if head.strip():
        sections["user"] = head.strip("\n")
    for i, m in enumerate(marks):
        name = m.group(1)
        if name in sections:
            raise TemplateError(
                f"{origin}, line {_line_of(text, m.start())}: section {name!r} appears twice"
            )
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        sections[name] = text[m.end() : end].strip("\n")
    return sections


def check(
    text: str,
    origin: str,
    *,
    required: Iterable[str],
    allowed: Mapping[str, Iterable[str]],
) -> dict[str, str]:
    """Split and validate: required sections present, only known sections and placeholders."""
    sections = split_sections(text, origin)
    missing = [s for s in required if s not in sections]
    if missing:
        raise TemplateError(
            f"{origin}: missing section(s) {', '.join(missing)}; "
            f"mark them with lines like '--- {missing[0]} ---'"
        )
    for name in sections:
        if name not in allowed:
            line = _line_of(text, text.find(f"--- {name}"))
            raise TemplateError(
                f"{origin}, line {line}: unknown section {name!r}; "
                f"expected one of {', '.join(sorted(allowed))}"
            )
    for m in PLACEHOLDER_RE.finditer(text):
        field = m.group(1)
        section = _section_at(text, m.start())
        if field not in set(allowed.get(section, ())):
            raise TemplateError(
                f"{origin}, line {_line_of(text, m.start())}: unknown placeholder "
                f"{{{{{field}}}}} in section {section!r}; "
                f"known: {', '.join(sorted(allowed.get(section, ()))) or 'none'}"
            )
    return sections


def _section_at(text: str, pos: int) -> str:
    name = "user"
    for m in SECTION_RE.finditer(text, 0, pos):
        name = m.group(1)
    return name


def render(section: str, values: Mapping[str, str]) -> str:
    """Substitute every `{{name}}` in one pass (inserted text is never re-expanded)."""
    return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], section)
