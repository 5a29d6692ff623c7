"""stats.json: the run's usage and cost, live counters, and what the stages did.

* `usage` and each provider's tokens, cost and calls are the sum over the run's records
  (engine.usage), so they cover every process that worked on the run.
* Each provider's `requests`, `completed`, `retries`, `rate_limited` and `errors` are counted
  live; each process adds its own to those the run's earlier processes wrote. The file is
  rewritten every second during a run, so a `kill -9` loses at most a second of these.
* `stages`, `no_pair_reasons`, `errors`, `skipped_*` and `warnings` describe the last
  process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from engine.context import RunCounters
from engine.usage import RunUsage, Tally
from providers.base import Provider
from providers.endpoints import EndpointStats

STATS = "stats.json"
COUNTERS = ("requests", "completed", "retries", "rate_limited", "errors")


def earlier_counters(run_dir: Path) -> dict[str, dict[str, int]]:
    """Provider name -> the live counters the run's earlier processes left in stats.json."""
    try:
        stats = orjson.loads((run_dir / STATS).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    providers = stats.get("providers") if isinstance(stats, dict) else None
    if not isinstance(providers, dict):
        return {}
    return {
        str(name): {k: int(st.get(k) or 0) for k in COUNTERS}
        for name, st in providers.items()
        if isinstance(st, dict)
    }


def endpoint_stats(ep: EndpointStats) -> dict[str, Any]:
    """One endpoint of a provider (this process's figures; its rate: answers/min while used)."""
    return {
        "url": ep.url,
        "weight": ep.weight,
        "max_concurrency": ep.max_concurrency,
        "in_flight": ep.in_flight,
        "sent": ep.sent,
        "answered": ep.answered,
        "errors": ep.errors,
        "ejections": ep.ejections,
        "readmissions": ep.readmissions,
        "state": ep.state,
        "requests_per_minute": round(ep.rate_per_minute(), 1),
    }


def build(
    counters: RunCounters,
    started: Mapping[str, Provider],
    usage: RunUsage,
    earlier: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    spent = usage.to_json()
    names = list(dict.fromkeys([*started, *earlier, *spent["providers"]]))
    providers: dict[str, Any] = {}
    for name in names:
        live = started[name].stats if name in started else None
        before = earlier.get(name, {})
        providers[name] = {
            **{k: before.get(k, 0) + (getattr(live, k) if live else 0) for k in COUNTERS},
            **(spent["providers"].get(name) or {**Tally().to_dict(), "by_model": {}}),
            "stopped_reason": live.stopped_reason if live else None,
            "endpoints": [endpoint_stats(ep) for ep in live.endpoints] if live else [],
        }
    return {
        "usage": spent["total"],
        "providers": providers,
        "stages": {
            s.name: {"done": s.done, "reused": s.reused, "failed": s.failed, "total": s.total}
            for s in counters.stages.values()
        },
        "no_pair_reasons": dict(counters.no_pair_reasons),
        "incomplete_questions": counters.incomplete_questions,
        "errors": dict(counters.errors),
        "skipped_lines": counters.skipped_count,
        "skipped_examples": counters.skipped_lines,
        "warnings": counters.warnings,
    }


def write(run_dir: Path, stats: Mapping[str, Any]) -> None:
    """Replace stats.json whole (`status` may read it while a run rewrites it)."""
    tmp = run_dir / (STATS + ".tmp")
    tmp.write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))
    tmp.replace(run_dir / STATS)
