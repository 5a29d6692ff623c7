"""The progress view: what it shows, and that it refreshes at most 4 times a second."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Never

import anyio
from rich.console import Console, Group

from engine.context import RunCounters
from engine.progress import ProgressView
from providers.base import ChatRequest, Provider, Usage
from providers.endpoints import EndpointStats


class _Idle(Provider):
    async def chat(self, request: ChatRequest) -> Never:
        raise AssertionError


def _view(tmp_path: Path, console: Console | None = None) -> ProgressView:
    prov = _Idle("oa")
    prov.stats.in_flight = 7
    prov.stats.retries = 3
    prov.stats.rate_limited = 2
    prov.stats.requests_per_minute_limit = 100
    prov.stats.record_usage("gpt-4o", Usage(1200, 340), 0.0123)
    counters = RunCounters()
    gen = counters.register("generate", "answers")
    gen.total, gen.done = 400, 100
    return ProgressView(counters, {"oa": prov}, title="demo", console=console)


def test_plain_line_has_stages_and_providers(tmp_path: Path) -> None:
    line = _view(tmp_path).plain_line()
    assert "generate 100/400" in line
    assert "oa: 7 in flight, 0 errors, $0.0123" in line


def test_rich_view_shows_limits_retries_429s_tokens_cost(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    view = _view(tmp_path, console)
    console.print(view.render())
    text = out.getvalue()
    assert "judgeflow · demo" in text
    assert "generate (answers)" in text and "400" in text
    row = next(line for line in text.splitlines() if line.strip().startswith("│ oa"))
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[1] == "7"  # in flight
    assert cells[2].endswith("/100")  # requests/min against the limit
    assert cells[4:7] == ["3", "2", "0"]  # retries, 429s, errors
    assert cells[7] == "1200/340" and cells[8] == "0.0123"


def test_terminal_refresh_is_at_most_4_hz(tmp_path: Path) -> None:
    view = _view(tmp_path, Console(file=io.StringIO(), force_terminal=True))
    renders = 0
    original = view.render

    def counting() -> Group:
        nonlocal renders
        renders += 1
        return original()

    view.render = counting  # type: ignore[method-assign]

    async def main() -> None:
        with anyio.move_on_after(1.0):
            await view.run()

    anyio.run(main)
    # Initial frame + at most 4 per second + the final frame.
    assert 3 <= renders <= 6


def test_a_provider_with_several_endpoints_shows_each(tmp_path: Path) -> None:
    view = _view(tmp_path)
    prov = view.providers["oa"]
    prov.stats.endpoints = [
        EndpointStats("http://gpu0:8000/v1", 1.0, None, in_flight=4, answered=90, errors=1),
        EndpointStats("http://gpu1:8000/v1", 1.0, None, errors=5, ejections=1, state="out"),
    ]
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    console.print(view.render())
    rows = [line for line in out.getvalue().splitlines() if "└ http://gpu" in line]
    cells = [[c.strip() for c in row.strip("│ ").split("│")] for row in rows]
    assert [(c[0], c[1], c[6]) for c in cells] == [
        ("└ http://gpu0:8000/v1", "4", "1"),
        ("└ http://gpu1:8000/v1 (out)", "0", "5"),
    ]
    assert "(endpoints in flight/errors: http://gpu0:8000/v1 4/1, http://gpu1:8000/v1 0/5 out)" in (
        view.plain_line()
    )
    prov.stats.endpoints = prov.stats.endpoints[:1]  # one endpoint: nothing extra to show
    assert "endpoints" not in view.plain_line()
