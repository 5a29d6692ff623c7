"""Usage and ChatResponse write their own __init__ (providers.base.slot_setters): it must
take exactly the dataclass's fields, in order, with the same defaults, and leave the
instances frozen and equal to what the fields say."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from providers.base import ChatResponse, Usage, completed


@pytest.mark.parametrize("cls", [Usage, ChatResponse])
def test_init_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert p.default is None, f.name  # None stands for a fresh default_factory()
        else:
            assert p.default is inspect.Parameter.empty, f.name


def test_instances_are_frozen_complete_and_compare_by_value() -> None:
    u = Usage(1, 2, 3, 4, 5, 6)
    assert dataclasses.astuple(u) == (1, 2, 3, 4, 5, 6)
    assert u == Usage(1, 2, 3, 4, 5, 6) and hash(u) == hash(Usage(1, 2, 3, 4, 5, 6))
    assert Usage() == Usage(0, 0, 0, 0, 0, 0) and u + Usage() == u
    r = ChatResponse("hi", "stop", u, request_id="req-1")
    assert (r.cost, r.raw, r.sent, r.request_id, r.service_tier) == (0.0, {}, {}, "req-1", None)
    assert r.raw is not ChatResponse("x", None, u).raw  # a fresh dict each, as default_factory
    assert dataclasses.replace(r, cost=2.0) == ChatResponse("hi", "stop", u, 2.0, {}, {}, "req-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.input_tokens = 9  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.text = "changed"  # type: ignore[misc]


def test_completed_sets_what_the_call_adds_and_nothing_else() -> None:
    u = Usage(3, 4)
    parsed = ChatResponse("hi", "length", u, raw={"id": "x"}, service_tier="flex")
    done = completed(parsed, 0.25, {"temperature": None}, "req-9")
    assert done is parsed  # the call's own object, not a copy
    assert done == ChatResponse(
        "hi", "length", u, 0.25, {"id": "x"}, {"temperature": None}, "req-9", "flex"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.cost = 1.0  # type: ignore[misc]
