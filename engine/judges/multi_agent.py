"""`multi_agent` (ChatEval-style): role-playing judge agents discuss, then each votes.

Agents speak one after another for `rounds` rounds; each sees the discussion so far. Then
every agent casts a vote (concurrently) ending in an arena_hard verdict label. The decision
is the strict plurality of the votes; a draw at the top is a tie, and no valid vote at all
is no decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from engine.judges import arena_hard
from engine.judges.base import (
    CallBudget,
    JudgeInput,
    JudgeOutput,
    JudgeParams,
    JudgeSpec,
    concurrently,
)
from engine.judges.prompted import ANSWER_FIELDS, PromptJudge
from engine.judges.templating import render
from engine.records import Decision
from providers.base import ChatResponse, Message, Provider, Usage
from providers.options import DecodingOptions

parse_vote = arena_hard.parse


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    description: str


DEFAULT_AGENTS: tuple[Agent, ...] = (
    Agent(
        "Domain Expert",
        "You know the subject of the question in depth. Check every fact, "
        "step and calculation in both answers.",
    ),
    Agent(
        "Critic",
        "You look for flaws. Find the weakest point of each answer and test "
        "whether it breaks the answer's conclusion.",
    ),
    Agent(
        "General Public",
        "You represent the person who asked. Judge which answer actually "
        "resolves the question, clearly and correctly.",
    ),
)


def majority(votes: Sequence[Decision | None]) -> Decision | None:
    """Strict plurality of the valid votes; a draw at the top is A=B; no valid vote is None."""
    counts = Counter(v for v in votes if v is not None)
    if not counts:
        return None
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "A=B"
    return ranked[0][0]


def parse(text: str) -> Decision | None:
    """Parse one agent's vote (arena_hard's label format)."""
    return parse_vote(text)


class MultiAgentParams(JudgeParams):
    # Discussion rounds before the vote (0: the agents vote at once).
    rounds: int = Field(2, ge=0)
    # The panel: a list of {name, description} (default: DEFAULT_AGENTS).
    agents: tuple[Agent, ...] | None = Field(None, min_length=1)


class MultiAgentJudge(PromptJudge):
    TYPE = "multi_agent"
    TEMPLATE = "multi_agent.txt"
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=1024)
    PARAMS = MultiAgentParams
    params: MultiAgentParams
    REQUIRED: ClassVar[tuple[str, ...]] = ("system", "user", "turn", "vote")
    SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "system": ("role", "role_description"),
        "user": ANSWER_FIELDS,
        "turn": ("role", "discussion"),
        "vote": ("role", "discussion"),
    }

    def __init__(self, spec: JudgeSpec) -> None:
        super().__init__(spec)
        self.agents = self.params.agents or DEFAULT_AGENTS
        self.rounds = self.params.rounds

    def parse(self, text: str) -> Decision | None:
        return parse(text)

    def budget(self, prompt_tokens: int, out: int | None = None) -> CallBudget:
        """rounds x agents turns, each seeing every turn before it, then one vote per agent
        seeing the whole discussion."""
        out, agents = out or self.max_output_tokens(), len(self.agents)
        said = out + 8  # a turn as the next ones see it: the reply and its speaker's name
        turns = self.rounds * agents
        total = CallBudget()
        for i in range(turns):
            total += CallBudget(1, prompt_tokens + i * said, out)
        return total + CallBudget(agents, agents * (prompt_tokens + turns * said), agents * out)

    def _messages(
        self, item: JudgeInput, agent: Agent, step: str, discussion: str
    ) -> list[Message]:
        vals = {
            **self.values(item),
            "role": agent.name,
            "role_description": agent.description,
            "discussion": discussion or "(Nobody has spoken yet.)",
        }
        user = render(self.sections["user"], vals) + "\n\n" + render(self.sections[step], vals)
        return [Message("system", render(self.sections["system"], vals)), Message("user", user)]

    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        said: list[str] = []
        usage, cost, calls = Usage(), 0.0, 0
        # What the last vote was sent and the tier that served it, for the record.
        sent: list[Mapping[str, Any]] = [{}]
        tier: list[str | None] = [None]
        for _ in range(self.rounds):
            for agent in self.agents:
                resp = await provider.chat(
                    self.request(self._messages(item, agent, "turn", "\n\n".join(said)))
                )
                said.append(f"[{agent.name}]\n{resp.text}")
                usage, cost, calls = usage + resp.usage, cost + resp.cost, calls + 1
        discussion = "\n\n".join(said)

        def vote(agent: Agent) -> Callable[[], Awaitable[ChatResponse]]:
            request = self.request(self._messages(item, agent, "vote", discussion))
            return lambda: provider.chat(request)

        # A failed vote fails the judgment with its own ProviderError (see `concurrently`).
        responses = await concurrently([vote(agent) for agent in self.agents])
        for resp in responses:
            usage, cost, calls = usage + resp.usage, cost + resp.cost, calls + 1
        replies = [resp.text for resp in responses]
        # What the last vote was sent and the tier that served it, for the record.
        sent[0], tier[0] = responses[-1].sent, responses[-1].service_tier
        votes = [parse(r) for r in replies]
        ballots = "\n\n".join(
            f"[vote: {a.name}] -> {v}\n{r}"
            for a, v, r in zip(self.agents, votes, replies, strict=True)
        )
        raw = f"{discussion}\n\n{ballots}" if discussion else ballots
        return JudgeOutput(
            majority(votes),
            raw=raw,
            usage=usage,
            cost=cost,
            calls=calls,
            sent=sent[0],
            service_tier=tier[0],
        )
