"""Report cost on a large run: the whole report (summary.json, report.md, plots, report.html)
over 100k pairs × 5 judges, both orders, against its stated bounds.

Bounds (checked, printed as PASS/FAIL):

* `write_report` over 100,000 pairs × 5 judges (1M judgments) takes under 60 s (wall
  time, and CPU time, which is what a busy machine's wall time would be when idle);
* report.html stays under 64 MiB: the viewer embeds at most 48 MiB of text (questions,
  answers, judge replies; `engine.report.viewer.TEXT_BUDGET`) before gzip, plus a few
  bytes per pair × judge for decisions and outcomes, all gzip-compressed and base64'd.

Side by side in the same run, on the same machine:

* the same report over a tenth of the pairs (10k × 5), so the ratio shows it scales
  linearly;
* peak RSS of the typed summary (`build_summary`, streaming) vs a naive reader that loads
  every record first (each in its own child process, peak RSS from wait4());
* when Debian's chromium and chromedriver are installed: the time report.html takes to
  decode its data in headless Chromium, and to filter all pairs to one judge's incorrect
  coding pairs, for 10k and 100k pairs.

    .venv/bin/python bench/report_scale.py [--pairs 100000] [--judges 5]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
SOURCES = ["mmlu-pro-law", "livebench-reasoning", "livebench-math", "livecodebench"]
DECISIONS = ["A>B", "B>A", "A=B", None]
TIME_BOUND_S = 60.0
HTML_BOUND_MB = 64.0
FLIP = {"A>B": "B>A", "B>A": "A>B"}


def _outcome(label: str, ab: str | None, ba: str | None) -> str:
    votes = sum((d == label) - (d == FLIP[label]) for d in (ab, ba))
    return "correct" if votes > 0 else "incorrect" if votes < 0 else "tie"


def write_run(run: Path, n: int, judges: int) -> int:
    """A run folder as the engine writes it: questions of 400 characters, answers of 1,500,
    judge replies of 20-1,200 (~600, between a vanilla judge's and arena-hard's)."""
    rng = random.Random(0)
    run.mkdir(parents=True, exist_ok=True)
    # Texts are slices of a 5 MB stream of words at random offsets: no two alike, and
    # with 5,000 random words gzip packs them about 3x, as it does English prose.
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(5000)]
    corpus = " ".join(rng.choices(words, k=800_000))

    def text(length: int) -> str:
        start = rng.randrange(len(corpus) - length)
        return corpus[start : start + length]

    names = [f"judge-{k}" for k in range(judges)]
    manifest = {
        "job": {
            "name": "scale",
            "judges": [
                {"name": nm, "type": "arena_hard", "model": f"gpt-4o-{k}"}
                for k, nm in enumerate(names)
            ],
        }
    }
    (run / "manifest.json").write_bytes(orjson.dumps(manifest))
    with (
        open(run / "pairs.jsonl", "wb") as fp,
        open(run / "judgments.jsonl", "wb") as fj,
        open(run / "scores.jsonl", "wb") as fs,
    ):
        for i in range(n):
            pid, src, label = f"pair-{i:08d}", SOURCES[i % 4], rng.choice(["A>B", "B>A"])
            pair = {
                "pair_id": pid,
                "original_id": i,
                "source": src,
                "question": f"Question {i}: " + text(400),
                "response_model": "gpt-4o" if i % 2 else "claude-3-5-sonnet",
                "response_A": f"Answer A {i}. " + text(1500),
                "response_B": f"Answer B {i}. " + text(1500),
                "label": label,
            }
            fp.write(orjson.dumps(pair) + b"\n")
            for nm in names:
                ds = []
                for order in ("AB", "BA"):
                    d = rng.choice(DECISIONS)
                    ds.append(d)
                    rec = {
                        "request_key": f"{pid}/{nm}/{order}",
                        "pair_id": pid,
                        "judge": nm,
                        "order": order,
                        "raw": text(rng.randint(20, 1200)) + f" My final verdict is [[{d}]].",
                        "decision": d,
                        "usage": {},
                        "error": None,
                    }
                    fj.write(orjson.dumps(rec) + b"\n")
                ab, ba = ds[0], FLIP.get(ds[1], ds[1])  # type: ignore[arg-type]
                score = {
                    "pair_id": pid,
                    "judge": nm,
                    "source": src,
                    "label": label,
                    "decision_AB": ab,
                    "decision_BA": ba,
                    "outcome": _outcome(label, ab, ba),
                    "response_model": pair["response_model"],
                }
                fs.write(orjson.dumps(score) + b"\n")
    return sum(f.stat().st_size for f in run.iterdir())


REPORT = """
import sys, time
from pathlib import Path
from engine.report import write_report
t0, c0 = time.perf_counter(), time.process_time()
write_report([Path(sys.argv[1])], Path(sys.argv[2]))
print(f"{time.perf_counter() - t0:.3f} {time.process_time() - c0:.3f}")
"""
STREAMING = "from engine.report import build_summary; import sys; build_summary(sys.argv[1])"
NAIVE = """
import sys, orjson
from pathlib import Path
run = Path(sys.argv[1])
data = {f: [orjson.loads(l) for l in (run / f).read_bytes().splitlines()]
        for f in ("pairs.jsonl", "judgments.jsonl", "scores.jsonl")}
"""


def child(code: str, *args: str, cwd: Path = REPO) -> tuple[float, float, str]:
    """(peak RSS MiB, wall seconds, stdout) of `python -c code args` in its own process,
    importing the engine of the checkout `cwd`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=cwd, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, code
    return usage.ru_maxrss / 1024, time.perf_counter() - t0, out.strip()


def browser_times(html: Path) -> tuple[float, float, int] | None:
    """(ms to decode the data, ms to filter, pairs shown) in headless Chromium, or None."""
    sys.path.insert(0, str(REPO))
    try:
        import pytest

        from fakes.browser import chrome, wait_ready
    except ImportError:
        return None
    try:
        with chrome() as d:
            t0 = time.perf_counter()
            d.get(html.as_uri())
            wait_ready(d, timeout=600)
            ready = 1000 * (time.perf_counter() - t0)
            t1 = time.perf_counter()
            d.execute_script("location.hash = '#pairs?j=0&cat=coding&out=incorrect'")
            d.find_element("id", "pair-count")
            shown = int(d.find_element("id", "pair-count").text.split(" of ")[1].split()[0])
            return ready, 1000 * (time.perf_counter() - t1), shown
    except pytest.skip.Exception:
        return None


def one(tmp: Path, pairs: int, judges: int, *, memory: bool) -> dict[str, float]:
    run, out = tmp / f"run{pairs}", tmp / f"out{pairs}"
    t0 = time.perf_counter()
    size = write_run(run, pairs, judges)
    print(
        f"\n{pairs:,} pairs x {judges} judges: run folder {size / 2**20:,.0f} MiB of JSONL "
        f"(written in {time.perf_counter() - t0:.0f} s)"
    )
    rss, _, inner = child(REPORT, str(run), str(out))
    wall, cpu = map(float, inner.split())
    html = (out / "report.html").stat().st_size / 2**20
    print(f"  write_report          : {wall:7.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:,.0f} MiB")
    print(f"  report.html           : {html:7.1f} MiB")
    res = {"time": wall, "cpu": cpu, "html": html, "rss": rss}
    b = browser_times(out / "report.html")
    if b:
        ready, filtered, shown = b
        print(f"  Chromium: data decoded in {ready:,.0f} ms; ", end="")
        print(f"filter to {shown:,} pairs in {filtered:,.0f} ms")
        res |= {"ready": ready, "filter": filtered}
    if memory:
        base, _, _ = child("import orjson, engine.report")
        s_rss, s_t, _ = child(STREAMING, str(run))
        n_rss, n_t, _ = child(NAIVE, str(run))
        print(f"  interpreter + imports : {base:7.0f} MiB")
        print(f"  build_summary         : {s_rss:7.0f} MiB peak RSS, {s_t:6.1f} s (streaming)")
        print(f"  naive load-everything : {n_rss:7.0f} MiB peak RSS, {n_t:6.1f} s")
        print(
            f"  memory ratio naive/streaming (above the import baseline): "
            f"{(n_rss - base) / max(1.0, s_rss - base):.1f}x"
        )
    for f in run.iterdir():
        f.unlink()
    return res


def _bound(what: str, value: float, bound: float, unit: str) -> None:
    verdict = "PASS" if value < bound else "FAIL"
    print(f"bound: {what} < {bound:.0f} {unit}: {verdict} ({value:.1f} {unit})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=100_000)
    ap.add_argument("--judges", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = one(Path(tmp), args.pairs // 10, args.judges, memory=False)
        big = one(Path(tmp), args.pairs, args.judges, memory=True)
    ratio = {k: big[k] / small[k] for k in big if k in small}
    print(
        f"\nscaling x10 pairs: report time x{ratio['time']:.1f}, peak RSS x{ratio['rss']:.1f}, "
        f"report.html x{ratio['html']:.1f}"
    )
    if "ready" in ratio:
        print(f"  Chromium decode x{ratio['ready']:.1f}, filter x{ratio['filter']:.1f}")
    # The bound is on wall time; CPU time is what it would be on an idle machine, and is
    # printed so a run on a shared machine still says whether the code meets it.
    _bound("write_report wall", big["time"], TIME_BOUND_S, "s")
    _bound("write_report CPU", big["cpu"], TIME_BOUND_S, "s")
    _bound("report.html", big["html"], HTML_BOUND_MB, "MiB")


if __name__ == "__main__":
    main()
