"""Live progress: a Rich view on a terminal, a plain line every few seconds otherwise.

Rendering reads the run's counters (engine.context.RunCounters, plain ints the stages bump)
and the providers' stats; it runs in its own task at most 4 times a second, so the hot path
never waits on the screen.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Mapping

import anyio
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from engine.batching.collector import BatchingProvider
from engine.batching.commands import age
from engine.context import RunCounters, StageStats
from engine.usage import Tally
from providers.base import Provider, ProviderStats

REFRESH_HZ = 4
# Wide tables are unreadable at a pipe's default 80 columns.
PIPE_WIDTH = 160


def output_console(*, stderr: bool = False) -> Console:
    """A console for tables: the terminal's width, or a wide one when piped."""
    console = Console(stderr=stderr, soft_wrap=True)
    if not console.is_terminal:
        console = Console(stderr=stderr, soft_wrap=True, width=PIPE_WIDTH)
    return console


PLAIN_EVERY = 5.0


def _eta(stage: StageStats) -> str:
    if stage.total is None or stage.done >= stage.total:
        return "-"
    rate = stage.rate()
    if rate <= 0:
        return "?"
    secs = int((stage.total - stage.done) / rate)
    return f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}"


def _endpoints_brief(st: ProviderStats) -> str:
    """Per endpoint of a provider with several: in flight / errors, and its health if not up."""
    if len(st.endpoints) < 2:
        return ""
    parts = [
        f"{ep.url} {ep.in_flight}/{ep.errors}" + ("" if ep.state == "up" else f" {ep.state}")
        for ep in st.endpoints
    ]
    return " (endpoints in flight/errors: " + ", ".join(parts) + ")"


class _Window:
    """Requests and tokens per minute over the last minute, from cumulative counters."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, int, int]] = deque()

    def rates(self, requests: int, tokens: int) -> tuple[float, float]:
        now = time.monotonic()
        self.samples.append((now, requests, tokens))
        while self.samples and now - self.samples[0][0] > 60:
            self.samples.popleft()
        t0, r0, k0 = self.samples[0]
        span = max(now - t0, 1.0)
        return (requests - r0) * 60 / span, (tokens - k0) * 60 / span


class ProgressView:
    """Renders a run's counters and its providers' live stats; changes nothing."""

    def __init__(
        self,
        counters: RunCounters,
        providers: Mapping[str, Provider],
        *,
        title: str,
        quiet: bool = False,
        console: Console | None = None,
        earlier: Mapping[str, Tally] | None = None,
    ) -> None:
        self.counters = counters
        self.providers = providers
        # Usage of the run's records before this process started (a resume): tokens and
        # cost are shown for the whole run, not only for what this process sent.
        self.earlier = dict(earlier or {})
        self.title = title
        self.quiet = quiet
        self.console = console or Console(stderr=True)
        self.windows: dict[str, _Window] = {}

    def stage_table(self) -> Table:
        t = Table(title=f"judgeflow · {self.title}", title_justify="left", expand=False)
        for col in ("stage", "done", "total", "reused", "failed", "rate/s", "ETA"):
            t.add_column(col, justify="right" if col != "stage" else "left")
        for s in self.counters.stages.values():
            t.add_row(
                f"{s.name} ({s.unit})",
                str(s.done),
                "?" if s.total is None else str(s.total),
                str(s.reused),
                str(s.failed),
                f"{s.rate():.1f}",
                _eta(s),
            )
        return t

    def provider_table(self) -> Table:
        t = Table(expand=False)
        for col in (
            "provider",
            "in flight",
            "req/min",
            "tok/min",
            "retries",
            "429s",
            "errors",
            "tokens in/out",
            "cost $",
        ):
            t.add_column(col, justify="right" if col != "provider" else "left")
        for name, p in self.providers.items():
            st = p.stats
            tokens = st.usage.input_tokens + st.usage.output_tokens
            before = self.earlier.get(name, Tally())
            rpm, tpm = self.windows.setdefault(name, _Window()).rates(st.completed, tokens)
            rpm_s = f"{rpm:.0f}" + (
                f"/{st.requests_per_minute_limit:.0f}" if st.requests_per_minute_limit else ""
            )
            tpm_s = f"{tpm:.0f}" + (
                f"/{st.tokens_per_minute_limit:.0f}" if st.tokens_per_minute_limit else ""
            )
            t.add_row(
                name + (" [red](stopped)[/]" if st.stopped_reason else ""),
                str(st.in_flight),
                rpm_s,
                tpm_s,
                str(st.retries),
                str(st.rate_limited),
                str(st.errors),
                f"{before.input_tokens + st.usage.input_tokens}/"
                f"{before.output_tokens + st.usage.output_tokens}",
                f"{before.cost + st.cost:.4f}",
            )
            if len(st.endpoints) > 1:
                self._endpoint_rows(t, name, st)
        return t

    def _endpoint_rows(self, t: Table, name: str, st: ProviderStats) -> None:
        """One row per endpoint of a provider with several: its load, rate, errors, health."""
        for i, ep in enumerate(st.endpoints):
            rpm, _ = self.windows.setdefault(f"{name}#{i}", _Window()).rates(ep.answered, 0)
            state = "" if ep.state == "up" else f" [red]({ep.state})[/]"
            t.add_row(
                f"  └ {ep.url}{state}",
                str(ep.in_flight),
                f"{rpm:.0f}",
                "",
                "",
                "",
                str(ep.errors),
                "",
                "",
            )

    def batch_table(self) -> Table | None:
        """Each batch still out, and how many have ended (batch mode)."""
        collectors = [p for p in self.providers.values() if isinstance(p, BatchingProvider)]
        if not collectors:
            return None
        t = Table(title="batches", title_justify="left", expand=False)
        for col in ("provider", "model", "API id", "state", "requests", "counts", "age"):
            t.add_column(col, justify="right" if col in ("requests", "age") else "left")
        now = time.time()
        for c in collectors:
            ended = 0
            for b in c.ledger.of(c.name):
                if not b.open:
                    ended += 1
                    continue
                counts = ", ".join(f"{k} {v}" for k, v in b.counts.items())
                t.add_row(
                    c.name,
                    b.model,
                    b.remote_id or "(sending)",
                    b.state,
                    str(len(b.requests)),
                    counts,
                    age(now - b.prepared_at),
                )
            t.add_row(c.name, "", "", f"{ended} ended; {c.waiting} calls waiting", "", "", "")
        return t

    def batch_line(self) -> str:
        parts = []
        for p in self.providers.values():
            if isinstance(p, BatchingProvider):
                out = p.open_batches()
                states = ", ".join(sorted({b.state for b in out}))
                parts.append(
                    f"{p.name}: {len(out)} batches out ({states or '-'}), {p.waiting} waiting"
                )
        return " | ".join(parts)

    def status_lines(self) -> list[str]:
        """Why sends are paused and until when, what ran out of tokens, and notes."""
        now = time.time()
        lines = []
        for name, p in self.providers.items():
            st = p.stats
            if st.paused_until > now:
                until = time.strftime("%H:%M:%S", time.localtime(st.paused_until))
                lines.append(f"{name}: sends paused until {until}: {st.paused_reason}")
        if self.counters.out_of_tokens:
            spent = ", ".join(f"{k} {v}" for k, v in self.counters.out_of_tokens.items())
            lines.append(f"out of tokens (empty reply cut at max_tokens): {spent}")
        for p in self.providers.values():
            lines += [f"note: {n}" for n in p.stats.notes]
        return lines

    def render(self) -> Group:
        parts: list[Table | Text] = [self.stage_table()]
        if self.providers:
            parts.append(self.provider_table())
        batches = self.batch_table()
        if batches is not None:
            parts.append(batches)
        parts += [Text(line, style="yellow") for line in self.status_lines()]
        return Group(*parts)

    def plain_line(self) -> str:
        stages = " | ".join(
            f"{s.name} {s.done}/{'?' if s.total is None else s.total}"
            for s in self.counters.stages.values()
        )
        provs = " | ".join(
            f"{n}: {p.stats.in_flight} in flight, {p.stats.errors} errors, "
            f"${self.earlier.get(n, Tally()).cost + p.stats.cost:.4f}" + _endpoints_brief(p.stats)
            for n, p in self.providers.items()
        )
        line = f"[{time.strftime('%H:%M:%S')}] {stages}" + (f" || {provs}" if provs else "")
        if batches := self.batch_line():
            line += f" || batches: {batches}"
        status = [s for s in self.status_lines() if not s.startswith("note: ")]
        return line + "".join(f" || {s}" for s in status)

    async def run(self) -> None:
        """Refresh until cancelled."""
        if self.quiet:
            await anyio.sleep_forever()
        if self.console.is_terminal:
            with Live(
                self.render(), console=self.console, auto_refresh=False, transient=False
            ) as live:
                try:
                    while True:
                        await anyio.sleep(1 / REFRESH_HZ)
                        live.update(self.render(), refresh=True)
                finally:
                    live.update(self.render(), refresh=True)
        else:
            said: set[str] = set()

            def show() -> None:
                for note in (n for n in self.status_lines() if n.startswith("note: ")):
                    if note not in said:  # a note is said once, not every few seconds
                        said.add(note)
                        print(note, file=sys.stderr, flush=True)
                print(self.plain_line(), file=sys.stderr, flush=True)

            try:
                while True:
                    await anyio.sleep(PLAIN_EVERY)
                    show()
            finally:
                show()
