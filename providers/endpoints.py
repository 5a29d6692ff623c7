"""Several servers behind one provider: least-outstanding-requests balancing and health.

* Balancing: each attempt goes to the admitted endpoint with the fewest calls outstanding for
  its weight (`outstanding / weight`); ties go to the one with the fewest sends for its
  weight. So calls in flight split in proportion to the weights, one call at a time goes
  round in proportion to them, and a slow server, whose calls stay outstanding, gets less.
  An endpoint at its `max_concurrency` is skipped; when all are, the attempt waits for one.
* Health: `eject_after` consecutive failures (connection errors, timeouts, 5xx answers) take
  an endpoint out for `backoff` seconds. Then one attempt is let through as a probe (half
  open): an answer re-admits the endpoint, another failure keeps it out twice as long (up to
  `max_backoff`). Any answer from the server that is not a 5xx (a 200, a 4xx, a 429) means it
  is alive.
* With one endpoint (the `base_url` case), or when every endpoint is out, health does not
  hold calls back: there is nowhere else to send them, and the retry policy's backoff
  already spaces them out. One endpoint costs the hot path nothing but a lookup.

Which endpoint served a call is never part of its key (engine.keys): resume and reuse do not
depend on it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit, urlunsplit

import anyio

if TYPE_CHECKING:
    from providers.config import EndpointHealth

Outcome = Literal["ok", "failed", "neutral"]
State = Literal["up", "out", "probing"]


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """One resolved endpoint: its base URL ($VARS expanded), weight and concurrency cap."""

    base_url: str
    weight: float = 1.0
    max_concurrency: int | None = None


@dataclass
class EndpointStats:
    """Live counters of one endpoint, read by the progress view and stats.json."""

    url: str  # the base URL without any user:password part
    weight: float
    max_concurrency: int | None
    in_flight: int = 0  # attempts sent and not yet answered
    sent: int = 0
    answered: int = 0  # attempts the server answered (any status but a 5xx)
    errors: int = 0  # connection errors, timeouts and 5xx answers
    ejections: int = 0  # times it was taken out of the rotation
    readmissions: int = 0  # times a probe brought it back
    state: State = "up"
    first_sent: float = 0.0  # time.time() of the first send, for the rate in stats.json
    last_answer: float = 0.0

    def rate_per_minute(self) -> float:
        span = self.last_answer - self.first_sent
        return self.answered * 60.0 / span if span > 0 else 0.0


def shown_url(url: str) -> str:
    """`url` without credentials, for the live view and stats.json."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL (it fails at the first call): show none of it if it may hold one
        return "(not a URL)" if "@" in url else url
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


class Endpoint:
    """One server: its load and health (mutated by `EndpointSet` only)."""

    def __init__(self, index: int, spec: EndpointSpec, backoff: float) -> None:
        self.index = index
        self.base_url = spec.base_url.rstrip("/")
        self.weight = spec.weight
        self.cap = spec.max_concurrency if spec.max_concurrency is not None else math.inf
        self.stats = EndpointStats(shown_url(self.base_url), spec.weight, spec.max_concurrency)
        self.outstanding = 0
        self.failures = 0  # consecutive
        self.out = False
        self.out_until = 0.0  # on the set's clock
        self.backoff = backoff
        self.probe_in_flight = False


Lease = tuple["Endpoint", bool]  # the endpoint of one attempt, and whether it is a probe


class EndpointSet:
    """The endpoints of one provider. `take` one before an attempt, `done` after it."""

    def __init__(
        self,
        specs: Sequence[EndpointSpec],
        health: EndpointHealth,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not specs:
            raise ValueError("a provider needs at least one endpoint")
        self.health = health
        self.specs = tuple(specs)
        self._clock = clock
        self.endpoints = [Endpoint(i, s, health.backoff) for i, s in enumerate(specs)]
        self.single = len(self.endpoints) == 1
        self._only: Lease = (self.endpoints[0], False)  # the lease of a single endpoint
        self._changed: anyio.Event | None = None  # made in the event loop, when one waits

    @property
    def stats(self) -> list[EndpointStats]:
        """Per endpoint, when there are several (one endpoint's are the provider's own, and
        the hot path of a single endpoint keeps no second set of counters)."""
        return [] if self.single else [ep.stats for ep in self.endpoints]

    def take_nowait(self) -> Lease | None:
        """`take` when an endpoint is free now (None when the attempt must wait)."""
        if self.single:  # the provider's own cap holds it: nothing to choose or wait for
            return self._only
        lease = self._pick()
        return self._start(lease) if lease is not None else None

    async def take(self) -> Lease:
        """The endpoint for the next attempt (counted outstanding until `done`), and whether
        the attempt is the probe of an endpoint that was out."""
        if self.single:
            return self.endpoints[0], False
        while True:
            lease = self._pick()
            if lease is not None:
                return self._start(lease)
            if self._changed is None:
                self._changed = anyio.Event()
            with anyio.move_on_after(self._next_probe_in()):
                await self._changed.wait()

    def done(self, lease: Lease, outcome: Outcome) -> None:
        """Count the attempt's outcome: "ok" (the server answered), "failed" (it did not, or
        with a 5xx) or "neutral" (not the server's doing: cancelled, a client-side error)."""
        if self.single:
            return
        ep, probe = lease
        ep.outstanding -= 1
        st = ep.stats
        st.in_flight -= 1
        if probe:
            ep.probe_in_flight = False
        if outcome == "ok":
            st.answered += 1
            st.last_answer = time.time()
            ep.failures = 0
            if ep.out:
                self._readmit(ep)
        elif outcome == "failed":
            st.errors += 1
            ep.failures += 1
            if ep.out:
                # The probe failed: out again, for longer (a call sent before the ejection
                # that fails now says nothing new).
                if probe:
                    ep.backoff = min(ep.backoff * 2, self.health.max_backoff)
                    self._eject(ep)
            elif ep.failures >= self.health.eject_after:
                st.ejections += 1
                self._eject(ep)
        if self._changed is not None:  # wake the attempts waiting for a slot
            self._changed.set()
            self._changed = None

    def others_up(self, ep: Endpoint) -> bool:
        """Whether an attempt that failed on `ep` has another endpoint to go to at once: one
        in the rotation whose last attempt was answered (when they all fail, the retry
        policy's backoff spaces the attempts, so a call outlives a short outage of all)."""
        return any(o is not ep and not o.out and o.failures == 0 for o in self.endpoints)

    # ---- choice ------------------------------------------------------------------------
    def _pick(self) -> Lease | None:
        now = self._clock()
        best: Endpoint | None = None
        best_key = (math.inf, math.inf)
        any_up = False
        for ep in self.endpoints:
            if ep.out:
                if ep.probe_in_flight or now < ep.out_until or ep.outstanding >= ep.cap:
                    continue
                ep.probe_in_flight = True  # half open: this attempt is the probe
                ep.stats.state = "probing"
                return ep, True
            any_up = True
            if ep.outstanding >= ep.cap:
                continue
            key = (ep.outstanding / ep.weight, ep.stats.sent / ep.weight)
            if key < best_key:
                best, best_key = ep, key
        if best is None and not any_up:
            # Every endpoint is out: send anyway (to the least loaded) rather than stall.
            free = [ep for ep in self.endpoints if ep.outstanding < ep.cap]
            if free:
                best = min(free, key=lambda e: (e.outstanding / e.weight, e.out_until))
        return (best, False) if best is not None else None

    def _next_probe_in(self) -> float:
        """Seconds until an endpoint that is out may be probed (how long a waiter may sleep)."""
        now = self._clock()
        waits = [ep.out_until - now for ep in self.endpoints if ep.out and not ep.probe_in_flight]
        return max(min(waits), 0.001) if waits else math.inf

    def _start(self, lease: Lease) -> Lease:
        ep = lease[0]
        ep.outstanding += 1
        st = ep.stats
        st.in_flight += 1
        st.sent += 1
        if not st.first_sent:
            st.first_sent = time.time()
        return lease

    # ---- health ------------------------------------------------------------------------
    def _eject(self, ep: Endpoint) -> None:
        ep.out = True
        ep.out_until = self._clock() + ep.backoff
        ep.stats.state = "out"

    def _readmit(self, ep: Endpoint) -> None:
        ep.out = False
        ep.failures = 0
        ep.backoff = self.health.backoff
        ep.stats.state = "up"
        ep.stats.readmissions += 1
