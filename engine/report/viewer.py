"""The pair browser's data: every pair × judge of the report, compact and columnar.

One JSON object, gzip-compressed and base64-encoded into report.html (viewer.js decodes
it with the browser's own DecompressionStream). Strings are stored once in `texts` and
referred to by index; per judge, the outcome and both decisions of every pair are one
character each in a string as long as the pair list, so 100k pairs × 5 judges cost a few
MB before compression.

Texts (questions, answers, judge replies, error messages) are embedded in full while they
fit `text_budget` characters in total. Beyond it every text longer than a common cap is
cut, the cap chosen as high as the budget allows (water-filling: short texts stay whole):
questions and answers to their head and tail around a note, judge replies to the window
around their verdict, so the highlighted decision stays in view however small the cap.
So the file stays mailable for any run size; the full texts stay in the run's JSONL files.
The cap is computed before any text is read, from line lengths, which bound the texts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.records import JudgmentRecord, PairRecord
from engine.report.columns import ScoreColumns, key_hash
from engine.report.columns import score_code as code_of
from engine.report.families import model_family
from engine.report.locate import Finder, Span, finder_for, utf16_offsets, verdict_spans
from engine.report.model import Report, Row
from engine.report.runfiles import iter_jsonl, read_json
from engine.report.summary import JudgmentTally, judge_meta
from engine.scoring import category

TEXT_BUDGET = 48 * 2**20  # characters of text embedded in one report.html
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DECISION_CODE = {None: 0, "A>B": 1, "B>A": 2, "A=B": 3}
DECISION_BYTE = {d: ord(str(c)) for d, c in DECISION_CODE.items()}  # "0".."3"
NONE = "."  # no score / no judgment recorded for this pair
_MARK = "\n\n[… {n:,} characters cut here; the full text is in the run's JSONL files …]\n\n"
_SHORT = " [… {n:,} cut …] "  # for caps too small for the full note


def score_code(outcome: str, decision_ab: str | None, decision_ba: str | None) -> str:
    """A score as one character: outcome × 16 + decision_AB × 4 + decision_BA (pair terms)."""
    return ALPHABET[code_of(outcome, decision_ab, decision_ba)]


_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), np.uint8)


def score_column(scores: ScoreColumns, pair_keys: np.ndarray) -> str:
    """One judge's `score_code` per pair of the list (key hashes), NONE where unscored;
    from the scores the summary already read, joined by key."""
    out = np.full(len(pair_keys), ord(NONE), np.uint8)
    if len(scores) and len(pair_keys):
        at = np.searchsorted(scores.keys, pair_keys).clip(max=len(scores) - 1)
        hit = scores.keys[at] == pair_keys
        out[hit] = _ALPHABET_BYTES[scores.code[at[hit]]]
    return out.tobytes().decode("ascii")


def water_level(lengths: Sequence[int] | np.ndarray, budget: int) -> int | None:
    """The largest cap c with sum(min(length, c)) <= budget; None when everything fits."""
    s = np.sort(np.asarray(lengths, dtype=np.int64))
    if int(s.sum()) <= budget:
        return None
    n = len(s)
    before = np.concatenate(([0], np.cumsum(s)[:-1]))  # total of the k shortest, k = index
    k = np.arange(n)
    at_length = before + s * (n - k)  # the total if the cap were s[k]
    first = int(np.argmax(at_length > budget))  # the cap lies in [s[first-1], s[first])
    return max(0, int((budget - before[first]) // (n - first)))


_NOTES = (_MARK, _SHORT, "…")  # the longest that leaves most of the cap to the text


def _note(n: int, style: str) -> str:
    return style.format(n=n)


@functools.lru_cache(maxsize=64)
def _note_style(cap: int) -> tuple[str, int]:
    """(the note style for this cap, the longest such a note can be, for texts up to 1e12)."""
    for style in _NOTES:
        longest = len(style.format(n=10**12))
        if 4 * longest <= cap:
            return style, longest
    return _NOTES[-1], len(_NOTES[-1])


def cut(text: str, cap: int | None) -> str:
    """The text, or its head and tail around a note when longer than `cap` (never longer)."""
    if cap is None or len(text) <= cap:
        return text
    style, note_max = _note_style(cap)
    if note_max >= cap:
        return text[: max(0, cap - 1)] + "…"
    keep = cap - note_max
    head = keep - keep // 2
    return text[:head] + _note(len(text) - keep, style) + text[len(text) - keep // 2 :]


def cut_around(text: str, cap: int | None, spans: list[Span]) -> tuple[str, list[Span]]:
    """`cut`, but keeping the verdict in view: the window around the first span (in
    `text`'s offsets), with notes for what was cut either side; spans move with it."""
    if cap is None or len(text) <= cap:
        return text, spans
    style, note_max = _note_style(cap)
    if not spans or 2 * note_max >= cap:
        return cut(text, cap), []
    room = cap - 2 * note_max
    s0, e0 = spans[0]
    e0 = min(e0, s0 + room)  # a verdict longer than the room is cut itself
    w0 = max(0, s0 - (room - (e0 - s0)) // 2)
    w1 = min(len(text), w0 + room)
    w0 = max(0, w1 - room)
    before = _note(w0, style) if w0 else ""
    after = _note(len(text) - w1, style) if w1 < len(text) else ""
    shift = len(before) - w0
    kept = [(s + shift, min(e, w1) + shift) for s, e in spans if w0 <= s < w1]
    return before + text[w0:w1] + after, kept


def _line_lengths(path: Path) -> Iterator[int]:
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for line in fh:
            yield len(line)


def text_cap(run_dirs: Sequence[Path], budget: int) -> int | None:
    """The cap for `cut`, bounded from the files' line lengths without parsing them.

    A pair line holds three texts, a judgment line two (reply, error message), together
    no longer than the line: counting them as 3 × L/3 and 2 × L/2 bounds what they use.
    """
    lengths: list[int] = []
    for d in run_dirs:
        for n_texts, name in ((3, PairRecord.FILE), (2, JudgmentRecord.FILE)):
            for length in _line_lengths(d / name):
                lengths += [-(-length // n_texts)] * n_texts
    return water_level(lengths, budget)


class _Texts:
    """The string table: each distinct text once."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, text: str | None) -> int:
        return -1 if text is None else self._store(cut(text, self.cap))

    def add_reply(self, text: str, finder: Finder) -> tuple[int, list[Span]]:
        """A judge's reply, cut (if it must be) around its verdict; the verdict's spans."""
        shown, spans = cut_around(text, self.cap, verdict_spans(None, text, finder))
        return self._store(shown), utf16_offsets(shown, spans)

    def _store(self, t: str) -> int:
        i = self._index.get(t)
        if i is None:
            i = self._index[t] = len(self.items)
            self.items.append(t)
        return i


class _Names:
    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, name: str) -> int:
        if name not in self._index:
            self._index[name] = len(self.items)
            self.items.append(name)
        return self._index[name]


class _Columns:
    """One run × judge's columns while the judgments are read (keyed by judge name)."""

    def __init__(self, judge_type: str | None, n: int) -> None:
        self.decision = {"AB": bytearray(NONE * n, "ascii"), "BA": bytearray(NONE * n, "ascii")}
        self.text: dict[str, list[int]] = {"AB": [-1] * n, "BA": [-1] * n}
        self.error: dict[str, dict[int, int]] = {"AB": {}, "BA": {}}
        self.spans: dict[str, dict[int, list[int]]] = {"AB": {}, "BA": {}}
        self.finder = finder_for(judge_type)

    def as_dict(self, row: Row, pair_keys: np.ndarray, models: Sequence[str]) -> dict[str, Any]:
        j = row.judge
        fam = j.family
        return {
            "label": row.label,
            "name": j.name,
            "run": row.run.name,
            "model": j.model,
            "type": j.type,
            "family": fam,
            "orders": j.orders,
            "own": [i for i, m in enumerate(models) if fam and model_family(m) == fam],
            "score": score_column(j.scores, pair_keys),
            "da": self.decision["AB"].decode("ascii"),
            "db": self.decision["BA"].decode("ascii"),
            "ta": self.text["AB"],
            "tb": self.text["BA"],
            "ea": self.error["AB"],
            "eb": self.error["BA"],
            "ha": self.spans["AB"],
            "hb": self.spans["BA"],
        }


class Scan:
    """One pass over the run folders' pairs and judgments, before the report is built.

    It keeps what the viewer shows (texts, decisions, verdict spans) and tallies the
    judgments for the summaries (`tallies`), so judgments.jsonl, the largest file of a
    run, is parsed once for the whole report. `data(report)` then lays the columns out
    in the report's row order, with the scores the summaries read.
    """

    def __init__(self, run_dirs: Sequence[Path], text_budget: int = TEXT_BUDGET) -> None:
        self.dirs = [Path(d) for d in run_dirs]
        self.budget = text_budget
        self.cap = text_cap(self.dirs, text_budget)
        self.texts, self.sources, self.models = _Texts(self.cap), _Names(), _Names()
        self.pair_index: dict[str, int] = {}
        self.cols: dict[str, list[Any]] = {k: [] for k in ("id", "src", "rm", "q", "a", "b")}
        self.labels: list[str] = []
        for d in self.dirs:
            self._pairs(d)
        self.columns: dict[tuple[str, str], _Columns] = {}
        self.tallies = [self._judgments(d) for d in self.dirs]

    def _pairs(self, run_dir: Path) -> None:
        texts = self.texts
        for obj in iter_jsonl(run_dir / PairRecord.FILE):
            pid = str(obj["pair_id"])
            if pid in self.pair_index:
                continue  # the same pair in another run of the report
            self.pair_index[pid] = len(self.labels)
            self.cols["id"].append(pid)
            self.cols["src"].append(self.sources.add(str(obj.get("source", ""))))
            self.cols["rm"].append(self.models.add(str(obj.get("response_model"))))
            self.cols["q"].append(texts.add(obj.get("question")))
            self.cols["a"].append(texts.add(obj.get("response_A")))
            self.cols["b"].append(texts.add(obj.get("response_B")))
            self.labels.append("a" if obj.get("label") == "A>B" else "b")

    def _judgments(self, run_dir: Path) -> JudgmentTally:
        types = {
            n: m.get("type") for n, m in judge_meta(read_json(run_dir / "manifest.json")).items()
        }
        tally = JudgmentTally()
        n, texts, run = len(self.labels), self.texts, str(run_dir)
        for obj in iter_jsonl(run_dir / JudgmentRecord.FILE):
            name = tally.add(obj)
            i = self.pair_index.get(str(obj.get("pair_id")))
            order = obj.get("order")
            if i is None or order not in ("AB", "BA"):
                continue
            c = self.columns.get((run, name))
            if c is None:
                c = self.columns[(run, name)] = _Columns(types.get(name), n)
            raw = obj.get("raw")
            t, spans = texts.add_reply(raw, c.finder) if isinstance(raw, str) else (-1, [])
            c.text[order][i] = t
            c.decision[order][i] = DECISION_BYTE.get(obj.get("decision"), 48)
            if obj.get("error"):
                msg = f"{obj['error']}: {obj.get('error_message') or ''}".rstrip(": ")
                c.error[order][i] = texts.add(msg)
            else:
                c.error[order].pop(i, None)
            if spans:
                c.spans[order][i] = [x for span in spans for x in span]
            else:
                c.spans[order].pop(i, None)
        return tally

    def data(self, report: Report) -> dict[str, Any]:
        n = len(self.labels)
        keys = np.fromiter((key_hash(p) for p in self.cols["id"]), np.int64, n)
        judges = []
        for r in report.rows:
            c = self.columns.get((str(Path(r.run.run)), r.judge.name)) or _Columns(r.judge.type, n)
            judges.append(c.as_dict(r, keys, self.models.items))
        return {
            "v": 1,
            "cap": self.cap,
            "budget": self.budget,
            "texts": self.texts.items,
            "sources": self.sources.items,
            "source_category": [category(s) for s in self.sources.items],
            "models": self.models.items,
            "pairs": {**self.cols, "label": "".join(self.labels)},
            "judges": judges,
        }


def viewer_data(report: Report, text_budget: int = TEXT_BUDGET) -> dict[str, Any]:
    """The viewer's data for a report already built (reads the run folders again)."""
    return Scan([Path(r.run) for r in report.runs], text_budget).data(report)
