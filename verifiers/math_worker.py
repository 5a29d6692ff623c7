"""Child process that decides whether two LaTeX answers are equal, with sympy.

Run as a script by `verifiers.math_equiv` (never imported by the engine): it reads one
JSON request per stdin line, ``{"a": latex, "b": latex}``, and writes one JSON reply per
line, ``{"status": "equal"|"different"|"key_unparsed"|"answer_unparsed"|"error",
"detail": "..."}``. sympy is imported once, before the ``ready`` line, so each check pays
only for the comparison; a parsed expression is kept (the key of a question is compared
with each of its k answers, and parsing is most of the cost of a long key).
"""

from __future__ import annotations

import json
import sys
import warnings
from functools import lru_cache
from typing import Any

MEMORY_LIMIT = 3 * 1024**3  # address space; a runaway simplify fails instead of eating the host


def _die_with_parent() -> None:
    """Exit when the engine is gone, even mid-simplify, so no child outlives it.

    A watchdog thread rather than PR_SET_PDEATHSIG: that signal fires when the *thread*
    that started us exits, and the engine starts workers from short-lived pool threads.
    """
    import os
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


@lru_cache(maxsize=512)
def _parse(latex: str) -> tuple[Any, ...]:
    """Every reading of `latex` (the lark grammar may return several for ambiguous input)."""
    import lark
    from sympy.parsing.latex import parse_latex

    # lark first; the ANTLR grammar accepts more implicit products (``\\sqrt{3}(x-1)``,
    # ``\\log^2(x)``), so it is the fallback.
    for text, backend in (
        (latex, "lark"),
        (latex.replace("\\\\", "\\"), "lark"),
        (latex, "antlr"),
    ):
        try:
            parsed = parse_latex(text, backend=backend)
        except Exception:
            continue
        if isinstance(parsed, lark.Tree):
            return tuple(parsed.children)
        return (parsed,)
    return ()


# Where both sides are evaluated before any symbolic work: irrational-looking points, so
# two different expressions agreeing at all of them by chance is not a practical risk.
POINTS = (0.5403, 1.3171, 2.2361)


def numerically(x: Any, y: Any) -> bool | None:
    """True: equal at every point; False: clearly different at one; None: cannot tell."""
    import sympy

    symbols = sorted(x.free_symbols | y.free_symbols, key=str)
    verdicts = []
    for n, p in enumerate(POINTS):
        subs = {s: sympy.Float(p + 0.1 * i + 0.01 * n) for i, s in enumerate(symbols)}
        try:
            vx = complex(sympy.N(x.subs(subs)))
            vy = complex(sympy.N(y.subs(subs)))
        except (TypeError, ValueError, AttributeError, sympy.SympifyError):
            return None
        if not all(map(_finite, (vx, vy))):
            return None
        # Numbers may be given rounded: within 0.001, the tolerance LiveBench's scorer
        # allows; functions must agree to 1e-6 relative at every point.
        tol = 1e-3 if not symbols else 1e-6 * max(1.0, abs(vx))
        verdicts.append(abs(vx - vy) <= tol)
        if not symbols:
            break
    return all(verdicts)


def _finite(v: complex) -> bool:
    return v == v and abs(v) != float("inf")


def compare(a: str, b: str) -> tuple[str, str]:
    """(status, detail): "equal" when some reading of `a` (the key) equals some reading of
    `b` (the answer), numerically at a few points when both evaluate there, else when their
    difference simplifies to zero; "different" otherwise; "key_unparsed" or
    "answer_unparsed" when a side cannot be read."""
    import sympy

    xs = _parse(a)
    if not xs:
        return "key_unparsed", "could not parse the key"
    ys = _parse(b)
    if not ys:
        return "answer_unparsed", "could not parse the answer"
    for x in xs:
        for y in ys:
            try:
                num = numerically(x, y)
            except Exception:
                num = None
            if num is True:
                return "equal", "numerically equal"
            if num is False:
                continue
            try:
                diff = sympy.simplify(x - y)
                if diff == 0:
                    return "equal", "simplifies to zero"
                if bool(sympy.Abs(diff) < 0.001):
                    return "equal", "numerically equal"
            except Exception:  # e.g. subtracting a matrix from a number: not equal
                continue
    return "different", "difference is not zero"


def main() -> None:
    _die_with_parent()
    _limit_memory()
    warnings.simplefilter("ignore")
    compare("x", "x")  # import sympy and build the parser before saying ready
    out = sys.stdout
    out.write('{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        try:
            req = json.loads(line)
            status, detail = compare(str(req["a"]), str(req["b"]))
        except Exception as exc:  # a reply is always sent: the parent is waiting for one
            status, detail = "error", f"worker error: {type(exc).__name__}"
        out.write(json.dumps({"status": status, "detail": detail}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
