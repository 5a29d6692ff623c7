"""Child process that decides whether two LaTeX answers are equal, with sympy.

Run as a script by `verifiers.math_equiv` (never imported by the engine): it reads one
JSON request per stdin line, ``{"a": latex, "b": latex}``, and writes one JSON reply per
line, ``{"equal": true|false|null, "detail": "..."}`` (null: could not parse). sympy is
imported once, before the ``ready`` line, so each check pays only for the comparison.
"""

from __future__ import annotations

import json
import sys
import warnings
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


def _parse(latex: str) -> list[Any]:
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
            return list(parsed.children)
        return [parsed]
    return []


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


def equal(a: str, b: str) -> tuple[bool | None, str]:
    """True when some reading of `a` equals some reading of `b`: numerically at a few
    points when both evaluate there, else when their difference simplifies to zero."""
    import sympy

    xs, ys = _parse(a), _parse(b)
    if not xs or not ys:
        return None, f"could not parse {'the key' if not xs else 'the answer'}"
    for x in xs:
        for y in ys:
            try:
                num = numerically(x, y)
            except Exception:
                num = None
            if num is True:
                return True, "numerically equal"
            if num is False:
                continue
            try:
                diff = sympy.simplify(x - y)
                if diff == 0:
                    return True, "simplifies to zero"
                if bool(sympy.Abs(diff) < 0.001):
                    return True, "numerically equal"
            except Exception:  # e.g. subtracting a matrix from a number: not equal
                continue
    return False, "difference is not zero"


def main() -> None:
    _die_with_parent()
    _limit_memory()
    warnings.simplefilter("ignore")
    equal("x", "x")  # import sympy and build the parser before saying ready
    out = sys.stdout
    out.write('{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        try:
            req = json.loads(line)
            result, detail = equal(str(req["a"]), str(req["b"]))
        except Exception as exc:  # a reply is always sent: the parent is waiting for one
            result, detail = None, f"worker error: {type(exc).__name__}"
        out.write(json.dumps({"equal": result, "detail": detail}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
