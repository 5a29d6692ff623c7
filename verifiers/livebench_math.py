"""LiveBench math verifiers: pure extraction here, sympy equivalence in child processes.

* AMC / SMC (``math_comp``, letter keys A–E): the key letter written four or more times
  in a row, else ``<solution>X</solution>`` or ``\\boxed{X}``, else the option's value
  near the end of the answer (the options are read from the question text);
* AIME (``math_comp``, three-digit keys): the number at the end of the answer;
* olympiad proof ordering: the "Answer:" list of expression ids, scored
  1 − edit distance / longer length;
* AMPS_Hard: the last ``\\boxed{}`` (else the last ``$…$`` of the last line), LaTeX
  normalised, then compared with sympy in `verifiers.math_equiv` under a time limit.
"""

from __future__ import annotations

import re

from verifiers.base import Verdict
from verifiers.math_equiv import CPU_LIMIT, equivalent
from verifiers.text import edit_distance, last_boxed, strip_text_macros

# CPU seconds a sympy comparison may take (see verifiers.math_equiv: CPU, not wall time).
SYMPY_TIMEOUT = CPU_LIMIT

_LETTER_RUN = re.compile(r"(?<![A-Z])([A-E])\1{3,}")
_SOLUTION = re.compile(r"<solution>(.*?)</solution>", re.DOTALL)
_OPTION = re.compile(r"\\textbf\{\(([A-E])\)\s*\}(.*?)(?:\\qquad|\$)")


def amc_options(question_text: str) -> dict[str, str]:
    """Option letter -> value, from ``\\textbf{(A) }value\\qquad`` in the question."""
    options = {}
    for letter, value in _OPTION.findall(question_text):
        # "\\ 144" and "~144": spacing in front of the value, not part of it.
        options[letter] = re.sub(r"^(?:\\\s|~|\s)+", "", value).strip().strip("$")
    return options


def amc(truth: str, answer: str, question_text: str) -> Verdict:
    """Multiple choice with keys A–E."""
    runs = _LETTER_RUN.findall(answer)
    if runs:
        got = runs[-1]
        return _verdict(got == truth, got, truth, "repeated letter")
    sol = _SOLUTION.findall(answer)
    if sol and len(set(sol[-1].strip())) == 1:
        got = sol[-1].strip()[0].upper()
        return _verdict(got == truth, got, truth, "<solution>")
    boxed = last_boxed(answer)
    if boxed is not None:
        got = strip_text_macros(boxed).strip("() ").upper()
        if got in "ABCDE" and len(got) == 1:
            return _verdict(got == truth, got, truth, "\\boxed{letter}")
    value = amc_options(question_text).get(truth)
    if value and value in answer[-(20 + len(value)) :]:
        return _verdict(True, value, truth, "the key's option value at the end")
    return Verdict(False, 0.0, None, f"no answer letter; key {truth}", "no_answer")


def aime(truth: str, answer: str) -> Verdict:
    """The last number in the boxed answer or in the last 50 characters, as an integer."""
    boxed = last_boxed(answer)
    where = strip_text_macros(boxed) if boxed is not None else answer[-50:]
    how = "\\boxed{}" if boxed is not None else "number at the end"
    nums = re.findall(r"\d+", where.replace(",", ""))
    if not nums:
        return Verdict(False, 0.0, None, f"no number at the end; key {truth}", "no_answer")
    got = nums[-1]
    return _verdict(int(got) == int(truth), got, truth, how)


def olympiad_ids(answer: str) -> list[int] | None:
    """Expression ids from the last "Answer:" line (or the next line when it is empty)."""
    lines = answer.lower().strip().split("\n")
    idx = [i for i, line in enumerate(lines) if "answer:" in line]
    if idx:
        i = idx[-1]
        text = lines[i].split("answer:")[-1]
        if not text.strip(" *.") and i + 1 < len(lines):
            text = lines[i + 1]
    else:
        boxed = last_boxed(answer)
        text = strip_text_macros(boxed) if boxed is not None else lines[-1]
    ids = [int(n) for n in re.findall(r"\d+", text.replace("**", ""))]
    return ids or None


def olympiad(truth: str, answer: str) -> Verdict:
    want = [int(n) for n in truth.split(",")]
    got = olympiad_ids(answer)
    if got is None:
        return Verdict(False, 0.0, None, "no Answer: list", "no_answer")
    score = 1 - edit_distance(list(got), list(want)) / max(len(got), len(want))
    shown = ",".join(map(str, got))
    return Verdict(score == 1.0, score, shown, f"ordering {shown} vs {truth}: score {score:.3f}")


_ANSWER_CLEANUP = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\left", ""),
    ("\\right", ""),
    ("\\bigl", ""),
    ("\\bigr", ""),
    ("\\Bigl", ""),
    ("\\Bigr", ""),
    ("\\,", ""),
    ("\\;", ""),
    ("\\!", ""),
    ("\\cdot", "*"),
    ("\\fbox{", "\\boxed{"),
)


def clean_latex(s: str) -> str:
    """Drop sizing and spacing macros that sympy's parser does not need."""
    for old, new in _ANSWER_CLEANUP:
        s = s.replace(old, new)
    return s


def normalize_answer(s: str) -> str:
    """The final value of an answer: right of the last '=', no text/box wrappers, no '$'."""
    s = s.split("=")[-1]
    s = re.sub(r"\\(?:text|textbf|mathrm|overline)\{(.*?)\}", r"\1", s)
    s = re.sub(r"\\boxed\{(.*)\}", r"\1", s)
    s = re.sub(r"(frac)([^{])(.)", r"frac{\2}{\3}", s)  # \frac12 -> \frac{1}{2}
    s = re.sub(r"(sqrt)([^{\[])", r"sqrt{\2}", s)  # \sqrt2 -> \sqrt{2}
    s = s.replace("$", "").strip().rstrip(".")
    if s.replace(",", "").isdigit():
        s = s.replace(",", "")
    return s


def amps_extract(answer: str) -> str | None:
    """The final expression: last ``\\boxed{}``, else the last ``$…$`` on the last line."""
    text = re.sub(r"\+\s*[Cc]\b", "", clean_latex(answer))  # constant of integration
    boxed = last_boxed(text)
    if boxed is not None:
        return normalize_answer(boxed)
    last_line = text.strip().split("\n")[-1]
    maths = re.findall(r"\$+([^$]+)\$+", last_line)
    if maths:
        return normalize_answer(maths[-1])
    return None


def amps_hard(truth: str, answer: str, timeout: float = SYMPY_TIMEOUT) -> Verdict:
    key = clean_latex(truth).replace(" ^", "^")
    got = amps_extract(answer)
    if got is None:
        return Verdict(False, 0.0, None, "no \\boxed{} answer", "no_answer")
    if got.replace(" ", "") == key.replace(" ", ""):
        return _verdict(True, got, truth, "same LaTeX")
    result = equivalent(key, got, timeout=timeout)
    if result.status == "timeout":
        return Verdict(None, 0.0, got, f"unverifiable: {result.detail}", "timeout")
    if result.status in ("died", "error"):
        return Verdict(None, 0.0, got, f"unverifiable: {result.detail}", "error")
    if result.status == "key_unparsed":  # the ground truth's fault, not the answer's
        return Verdict(None, 0.0, got, f"unverifiable: {result.detail}", "unverifiable")
    ok = result.status == "equal"  # an answer sympy cannot read is a wrong answer
    return Verdict(ok, float(ok), got, f"sympy: {result.detail}")


def _verdict(ok: bool, extracted: str | None, truth: str, how: str) -> Verdict:
    sign = "=" if ok else "!="
    return Verdict(ok, float(ok), extracted, f"{how}: {extracted!r} {sign} {truth!r}")
