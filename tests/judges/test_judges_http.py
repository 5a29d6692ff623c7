"""Judges over real HTTP: the OpenAI-compatible client against the loopback fake server.

Scripted judges answer in each template's own verdict format, so these tests check the
whole chain: template -> request -> wire -> reply -> parser -> decision, in both orders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from engine.judges.base import Judge, JudgeInput, JudgeOutput, JudgeSpec
from engine.judges.registry import JUDGE_TYPES, create_judge
from engine.scoring import category, flip
from fakes import judge_scripts
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from providers.base import ProviderError
from providers.config import ProviderConfig, RetryPolicy
from providers.openai import OpenAIProvider

pytestmark = pytest.mark.anyio

GPT_PAIRS = "judgebench/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
CHAT_TYPES = sorted(set(JUDGE_TYPES) - {"reward_model"})
RETRY = RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.02, attempt_timeout=5)


def provider(srv: FakeServer) -> OpenAIProvider:
    config = ProviderConfig(type="openai_compatible", retry=RETRY)
    return OpenAIProvider("fake", config, api_key=None, base_url=srv.base_url_openai)


@pytest.fixture
def pairs(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    path = shared_data / GPT_PAIRS
    monkeypatch.setenv(judge_scripts.PAIRS_ENV, str(path))
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    # Both labels and all four categories, kept small.
    picked: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        picked.setdefault((category(r["source"]), r["label"]), r)
    assert len(picked) == 8
    return list(picked.values())


def orders(p: dict[str, Any]) -> dict[str, JudgeInput]:
    q, a, b = p["question"], p["response_A"], p["response_B"]
    return {"AB": JudgeInput(q, a, b), "BA": JudgeInput(q, b, a)}


async def judge_all(
    judges: list[Judge], items: list[dict[str, Any]], prov: OpenAIProvider
) -> dict[tuple[str, str, str], JudgeOutput]:
    """Every judge × pair × order, concurrently, as the engine's judge stage sends them."""
    out: dict[tuple[str, str, str], JudgeOutput] = {}

    async def one(j: Judge, pid: str, order: str, item: JudgeInput) -> None:
        out[(j.spec.name, pid, order)] = await j.judge(item, prov)

    async with anyio.create_task_group() as tg:
        for j in judges:
            for p in items:
                for order, item in orders(p).items():
                    tg.start_soon(one, j, p["pair_id"], order, item)
    return out


def _judges(**params: Any) -> list[Judge]:
    return [
        create_judge(JudgeSpec(t, t, f"judge-{t}", params=params.get(t, {}))) for t in CHAT_TYPES
    ]


async def test_oracle_judge_is_right_in_both_orders(pairs: list[dict[str, Any]]) -> None:
    judges = _judges(multi_agent={"rounds": 1})
    async with FakeServer(judge_scripts.always_correct) as srv, provider(srv) as prov:
        out = await judge_all(judges, pairs, prov)
        bodies = [r["body"] for r in srv.requests]
    for p in pairs:
        for j in judges:
            name = j.spec.name
            assert out[(name, p["pair_id"], "AB")].decision == p["label"], name
            # In the BA order's own terms the correct answer is the other letter.
            assert out[(name, p["pair_id"], "BA")].decision == flip(p["label"]), name
    # Decoding defaults reached the wire, with the judge's model name.
    arena = [b for b in bodies if b["model"] == "judge-arena_hard"]
    assert arena and all(b["temperature"] == 0.0 for b in arena)
    assert all(b.get("max_tokens", b.get("max_completion_tokens")) == 4096 for b in arena)
    assert {b["model"] for b in bodies} == {f"judge-{t}" for t in CHAT_TYPES}


async def test_position_biased_judge_always_picks_first(pairs: list[dict[str, Any]]) -> None:
    judges = _judges(multi_agent={"rounds": 0})
    async with FakeServer(judge_scripts.always_first) as srv, provider(srv) as prov:
        out = await judge_all(judges, pairs[:3], prov)
    assert {o.decision for o in out.values()} == {"A>B"}
    assert len(out) == len(judges) * 3 * 2


async def test_reward_model_scores_each_answer_alone(pairs: list[dict[str, Any]]) -> None:
    judge = create_judge(JudgeSpec("rm", "reward_model", "Skywork/Reward"))
    async with FakeServer(score=judge_scripts.correct_score) as srv, provider(srv) as prov:
        out = await judge_all([judge], pairs, prov)
        reqs = list(srv.requests)
    for p in pairs:
        assert out[("rm", p["pair_id"], "AB")].decision == p["label"]
        assert out[("rm", p["pair_id"], "BA")].decision == flip(p["label"])
        assert out[("rm", p["pair_id"], "AB")].calls == 2
    assert len(reqs) == 2 * 2 * len(pairs) and all(r["api"] == "pooling" for r in reqs)
    roles = [[m["role"] for m in r["body"]["messages"]] for r in reqs]
    assert all(r == ["user", "assistant"] for r in roles)
    assert orjson.loads(out[("rm", pairs[0]["pair_id"], "AB")].raw)["scores"] in (
        [1.0, 0.0],
        [0.0, 1.0],
    )


def _has_assistant_turn(req: FakeRequest) -> bool:
    return any(role == "assistant" for role, _ in req.messages)


async def test_arena_hard_asks_once_more_when_the_verdict_is_missing() -> None:
    def script(req: FakeRequest) -> str:
        if _has_assistant_turn(req):
            return "Finishing up: [[B>>A]]"
        return "My own answer is 12. Assistant B also gets 12; A gets 10."

    judge = create_judge(JudgeSpec("ah", "arena_hard", "m"))
    async with FakeServer(script) as srv, provider(srv) as prov:
        out = await judge.judge(JudgeInput("q", "ten", "twelve"), prov)
        msgs = srv.requests[1]["body"]["messages"]
    assert (out.decision, out.calls) == ("B>A", 2)
    assert "My own answer is 12" in out.raw and "[[B>>A]]" in out.raw
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[2]["content"].startswith("My own answer is 12")
    assert "verdict label" in msgs[3]["content"]
    assert out.usage.input_tokens > 0 and out.usage.output_tokens > 0


async def test_arena_hard_gives_up_after_one_follow_up() -> None:
    judge = create_judge(JudgeSpec("ah", "arena_hard", "m"))
    async with FakeServer(lambda req: "I cannot decide.") as srv, provider(srv) as prov:
        out = await judge.judge(JudgeInput("q", "a", "b"), prov)
        n = len(srv.requests)
    assert (out.decision, out.calls, n) == (None, 2, 2)


async def test_arena_hard_contradictory_verdicts_are_no_decision_without_retry() -> None:
    judge = create_judge(JudgeSpec("ah", "arena_hard", "m"))
    async with (
        FakeServer(lambda req: "At first [[A>B]]; on reflection [[B>A]].") as srv,
        provider(srv) as prov,
    ):
        out = await judge.judge(JudgeInput("q", "a", "b"), prov)
        n = len(srv.requests)
    assert (out.decision, out.calls, n) == (None, 1, 1)


async def test_multi_agent_discussion_then_majority_vote() -> None:
    def script(req: FakeRequest) -> str:
        role = (req.system or "").split(",")[0].removeprefix("You are ")
        if "cast your vote now" in req.last_user:
            return "[[B>A]]" if role == "Critic" else f"As {role}: [[A>B]]"
        return f"{role} speaking; heard: {req.last_user.count('speaking;')} turns."

    judge = create_judge(JudgeSpec("panel", "multi_agent", "m", params={"rounds": 2}))
    async with FakeServer(script) as srv, provider(srv) as prov:
        out = await judge.judge(JudgeInput("q", "a", "b"), prov)
        users = [r["body"]["messages"][-1]["content"] for r in srv.requests]
    assert out.decision == "A>B"  # two of three agents
    assert out.calls == 3 * 2 + 3 and len(users) == 9
    # Turn k (0-based) sees the k turns spoken before it; votes see all six.
    assert [u.count("speaking;") for u in users[:6]] == [0, 1, 2, 3, 4, 5]
    assert all(u.count("speaking;") == 6 for u in users[6:])
    assert "[vote: Critic] -> B>A" in out.raw


async def test_provider_errors_propagate_and_are_not_decisions() -> None:
    judge = create_judge(JudgeSpec("v", "vanilla", "m"))
    srv_faults = FakeServer(lambda req: "Output (a)", faults=lambda req: "bad_request")
    async with srv_faults as srv, provider(srv) as prov:
        with pytest.raises(ProviderError) as info:
            await judge.judge(JudgeInput("q", "a", "b"), prov)
    assert info.value.error_class == "bad_request"
