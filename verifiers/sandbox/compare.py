"""Compare a program's output with the expected output (pure functions).

Each returns None on a match, else a short reason. Stdin/stdout tests compare line by
line after stripping; a line that differs as text still matches when its
whitespace-separated tokens are equal as decimals (``1.50`` == ``1.5``), or within
`float_tol` (relative, at least absolute) when one is given. Functional tests compare
JSON values decoded on both sides, so only plain data is ever compared. A return value
is bounded before it is decoded (`MAX_RESULT_BYTES`, `MAX_DEPTH`): one that is too big,
too deep or not JSON is a failing answer with a reason, never an unverifiable one.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

# A return value's limits; the sandbox caps its size too (Limits.max_output_bytes).
MAX_RESULT_BYTES = 16 << 20
MAX_DEPTH = 512


def _deeper_than(text: str, limit: int) -> bool:
    """Does [ and { nesting outside strings exceed `limit`? (Linear, no recursion.)"""
    if text.count("[") + text.count("{") <= limit:
        return False  # too few brackets to be that deep: skip the character walk
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _clip(text: str, n: int = 80) -> str:
    return repr(text if len(text) <= n else text[:n] + "…")


def _decimals(line: str) -> list[Decimal] | None:
    try:
        values = [Decimal(tok) for tok in line.split()]
    except InvalidOperation:
        return None
    return values if all(v.is_finite() for v in values) else None


def _close(a: Decimal, b: Decimal, tol: float | None) -> bool:
    if a == b:
        return True
    return tol is not None and abs(a - b) <= Decimal(repr(tol)) * max(Decimal(1), abs(b))


def compare_stdout(actual: str, expected: str, float_tol: float | None = None) -> str | None:
    got = [ln.strip() for ln in actual.strip().split("\n")]
    want = [ln.strip() for ln in expected.strip().split("\n")]
    if len(got) != len(want):
        return f"wrong answer: expected {len(want)} lines, got {len(got)}"
    for n, (g, w) in enumerate(zip(got, want, strict=True), 1):
        if g == w:
            continue
        gd, wd = _decimals(g), _decimals(w)
        ok = (
            gd is not None
            and wd is not None
            and len(gd) == len(wd)
            and all(_close(a, b, float_tol) for a, b in zip(gd, wd, strict=True))
        )
        if not ok:
            return f"wrong answer on line {n}: expected {_clip(w)}, got {_clip(g)}"
    return None


def _equal(got: Any, want: Any, tol: float | None) -> bool:
    if isinstance(got, bool) or isinstance(want, bool):
        return bool(got == want)
    if isinstance(got, int | float) and isinstance(want, int | float):
        if got == want:
            return True
        return tol is not None and math.isclose(got, want, rel_tol=tol, abs_tol=tol)
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return False
        return all(_equal(a, b, tol) for a, b in zip(got, want, strict=True))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_equal(got[k], want[k], tol) for k in want)
    return type(got) is type(want) and bool(got == want)


def compare_functional(
    actual_json: str | None, expected_json: str, float_tol: float | None = None
) -> str | None:
    if actual_json is None:
        return "no return value (the program exited before returning)"
    if len(actual_json) > MAX_RESULT_BYTES:
        return f"return value too large ({len(actual_json)} bytes > {MAX_RESULT_BYTES})"
    if _deeper_than(actual_json, MAX_DEPTH):
        return f"return value nested deeper than {MAX_DEPTH} levels"
    try:
        got = json.loads(actual_json)
    except (ValueError, RecursionError):
        return f"return value is not JSON: {_clip(actual_json)}"
    want = json.loads(expected_json)
    if _equal(got, want, float_tol):
        return None
    return f"wrong answer: expected {_clip(expected_json)}, got {_clip(actual_json)}"
