"""Report memory from 10k to 1M pairs × 5 judges (issue 16: the report in bounded memory).

A run folder as the engine writes it (pairs, both orders' judgments, scores, two verified
answers per pair), with short texts: the summary's cost is per record, not per character
(texts are the viewer's, which has its own budget, bench/report_scale.py). In a child
process each: `build_report` and summary.json, peak RSS from wait4(). `--repo` runs the
same against another checkout (e.g. the commit before the streamed aggregation) for a
side-by-side before/after on the same folders.

    .venv/bin/python bench/report_memory.py [--pairs 10000 100000 1000000] [--judges 5]
        [--repo ../old-checkout]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_scale import REPO, SOURCES, _outcome, child

DECISIONS = ["A>B", "B>A", "A=B", None]
FLIP = {"A>B": "B>A", "B>A": "A>B"}
MODELS = ["gpt-4o", "claude-3-5-sonnet", "gemini-1.5-pro"]
SUMMARY = """
import sys, time, orjson
from pathlib import Path
from engine.report import build_report
t0 = time.perf_counter()
r = build_report([Path(sys.argv[1])])
(Path(sys.argv[2])).write_bytes(orjson.dumps(r.as_dict(), option=orjson.OPT_INDENT_2))
print(f"{time.perf_counter() - t0:.1f}")
"""


def write_run(run: Path, n: int, judges: int) -> int:
    rng = random.Random(0)
    run.mkdir(parents=True, exist_ok=True)
    names = [f"judge-{k}" for k in range(judges)]
    manifest = {
        "job": {
            "name": "mem",
            "judges": [
                {"name": nm, "type": "vanilla", "model": MODELS[k % 3]}
                for k, nm in enumerate(names)
            ],
        }
    }
    (run / "manifest.json").write_bytes(orjson.dumps(manifest))
    files = ("pairs", "judgments", "scores", "responses", "verdicts")
    out = {f: open(run / f"{f}.jsonl", "wb") for f in files}
    try:
        for i in range(n):
            pid, src, label = f"pair-{i:08d}", SOURCES[i % 4], rng.choice(["A>B", "B>A"])
            rm = MODELS[i % 3]
            pair = {
                "pair_id": pid,
                "original_id": i,
                "source": src,
                "question": f"q{i}",
                "response_model": rm,
                "response_A": "a",
                "response_B": "b",
                "label": label,
            }
            out["pairs"].write(orjson.dumps(pair) + b"\n")
            for k in "AB":
                key = f"{pid}/{k}"
                out["responses"].write(
                    orjson.dumps({"request_key": key, "model": rm, "source": src, "text": "x"})
                    + b"\n"
                )
                verdict = {"response_key": key, "source": src, "correct": k == label[0]}
                out["verdicts"].write(orjson.dumps(verdict) + b"\n")
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
                        "raw": f"[[{d}]]",
                        "decision": d,
                        "error": None,
                    }
                    out["judgments"].write(orjson.dumps(rec) + b"\n")
                ab, ba = ds[0], FLIP.get(ds[1], ds[1])  # type: ignore[arg-type]
                score = {
                    "pair_id": pid,
                    "judge": nm,
                    "source": src,
                    "label": label,
                    "decision_AB": ab,
                    "decision_BA": ba,
                    "outcome": _outcome(label, ab, ba),
                    "response_model": rm,
                }
                out["scores"].write(orjson.dumps(score) + b"\n")
    finally:
        for fh in out.values():
            fh.close()
    return sum(f.stat().st_size for f in run.iterdir())


def summary_rss(repo: Path, run: Path, out: Path) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of build_report + summary.json from `repo`'s engine."""
    rss, _, inner = child(SUMMARY, str(run), str(out), cwd=repo)
    return rss, float(inner)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--judges", type=int, default=5)
    ap.add_argument("--repo", type=Path, default=None, help="another checkout, side by side")
    args = ap.parse_args()
    repos = [("this", REPO)] + ([("other", args.repo.resolve())] if args.repo else [])
    base = {name: child("import orjson, engine.report", cwd=r)[0] for name, r in repos}
    print("interpreter + imports: " + ", ".join(f"{n} {b:.0f} MiB" for n, b in base.items()))
    first: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.pairs:
            run = Path(tmp) / f"run{n}"
            t0 = time.perf_counter()
            size = write_run(run, n, args.judges)
            print(
                f"\n{n:,} pairs x {args.judges} judges ({n * args.judges:,} scores, "
                f"{2 * n * args.judges:,} judgments): {size / 2**20:,.0f} MiB of JSONL, "
                f"written in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            sums = []
            for name, repo in repos:
                rss, secs = summary_rss(repo, run, Path(tmp) / f"summary-{name}.json")
                sums.append((Path(tmp) / f"summary-{name}.json").read_bytes())
                above = rss - base[name]
                first.setdefault(name, above)
                print(
                    f"  {name:5} build_report + summary.json: peak RSS {rss:7,.0f} MiB "
                    f"({above:,.0f} above imports, x{above / first[name]:.1f} "
                    f"of the first size), {secs:.1f} s",
                    flush=True,
                )
            if len(sums) == 2:
                same = _numbers(sums[0]) == _numbers(sums[1])
                print(f"  summary.json equal between the two (but 'generated'/'run'): {same}")
            for f in run.iterdir():
                f.unlink()


def _numbers(raw: bytes) -> object:
    d = orjson.loads(raw)
    d.pop("generated")
    for r in d["runs"]:
        r.pop("run")
    return d


if __name__ == "__main__":
    main()
