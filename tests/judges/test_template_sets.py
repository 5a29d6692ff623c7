"""Faithful mode: template sets rendered as their projects render them, and their rules.

The JudgeBench clone and the prometheus-eval package used here are written by this test:
our own words, in JudgeBench's layout (utils/templates/<name>.jinja2, utils/judges.py) and
with its variable names, and in the package's layout (prometheus_eval/prompts.py). Every
prompt is asserted byte for byte, and every parser decision by JudgeBench's rule.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from engine.jobload import JobError, load_job
from engine.judges import arena_hard, judgebench_rules, reward_model
from engine.judges.base import JudgeInput, JudgeSpec
from engine.judges.registry import create_judge
from engine.judges.template_sets import TemplateChoice
from engine.manifest import judge_fingerprints
from engine.requests import judge_spec
from fakes.server import FakeServer
from providers.base import Message
from providers.config import ProviderConfig, RetryPolicy
from providers.openai import OpenAIProvider

ITEM = JudgeInput("Q: 2+2?", "It is 4.", "It is 5.")

# Our own texts in JudgeBench's file names and with its variables. autoj and
# compass_judger use `prompt`, as JudgeBench's own files do, while JudgeBench's code passes
# `question`: rendered as JudgeBench renders them, the question comes out empty.
TEMPLATES = {
    "arena_hard_judge_system": "SYS: compare A and B, end with a [[label]].",
    "arena_hard_judge_system_notie": "SYS: compare A and B; no ties.",
    "arena_hard_judge_prompt": "<prompt>\n{{prompt}}\n\n<A>\n{{answer_a}}\n<B>\n{{answer_b}}",
    "compass_judger_prompt": "COMPASS\n[{{prompt}}]\n{{answer_a}}|{{answer_b}}\n",
    "vanilla_prompt": (
        "PICK (a) or (b)\n"
        "{% if question %}\n"
        "    # Q: {{question}}\n"
        "{% endif %}\n"
        "(a) {{answer_a}}\n(b) {{answer_b}}"
    ),
    "autoj_prompt": "AUTOJ [Query]: {{prompt}} / 1: {{response}} / 2: {{response_another}}",
    "prometheus2_prompt": "P2 {{instruction}}\nA={{response_A}}\nB={{response_B}}\nR={{rubric}}",
    "skywork_critic_prompt": "SKY {{input}} :: {{response_a}} :: {{response_b}}\n",
    "judgelm_prompt": "JLM {{question}}\n1) {{answer_1}}\n2) {{answer_2}}\n",
    "pandalm_prompt": "PANDA {{instruction}}\n1: {{resp1}}\n2: {{resp2}}\n### Evaluation:\n",
}
JUDGES_PY = """\
class ArenaHard(Judge):
    async def get_judgment(self, question, answer_A, answer_B):
        messages.append({"role": "user", "content": "OUR FOLLOW-UP: finish with a label"})


class Prometheus2(Judge):
    def __init__(self, model_name):
        self.rubric = "[Is it right? (our rubric)]"
        self.REL_SYSTEM_PROMPT = "OUR P2 SYSTEM"
"""

EXPECTED = {
    "arena_hard": [
        Message("system", "SYS: compare A and B, end with a [[label]]."),
        Message("user", "<prompt>\nQ: 2+2?\n\n<A>\nIt is 4.\n<B>\nIt is 5."),
    ],
    "compass_judger": [Message("user", "COMPASS\n[]\nIt is 4.|It is 5.")],
    # trim_blocks and lstrip_blocks: the block lines leave nothing behind.
    "vanilla": [Message("user", "PICK (a) or (b)\n    # Q: Q: 2+2?\n(a) It is 4.\n(b) It is 5.")],
    "autoj": [Message("user", "AUTOJ [Query]:  / 1: It is 4. / 2: It is 5.")],
    "prometheus2": [
        Message("system", "OUR P2 SYSTEM"),
        Message("user", "P2 Q: 2+2?\nA=It is 4.\nB=It is 5.\nR=[Is it right? (our rubric)]"),
    ],
    "skywork_critic": [Message("user", "SKY Q: 2+2? :: It is 4. :: It is 5.")],
    "judgelm": [Message("user", "JLM Q: 2+2?\n1) It is 4.\n2) It is 5.")],
    # Jinja2 drops the template's last newline; JudgeBench appends one.
    "pandalm": [Message("user", "PANDA Q: 2+2?\n1: It is 4.\n2: It is 5.\n### Evaluation:\n")],
}


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    root = tmp_path / "JudgeBench"
    (root / "utils" / "templates").mkdir(parents=True)
    for name, text in TEMPLATES.items():
        (root / "utils" / "templates" / f"{name}.jinja2").write_text(text)
    (root / "utils" / "judges.py").write_text(JUDGES_PY)
    return root


def judgebench(jtype: str, clone: Path, **kw: object) -> object:
    choice = TemplateChoice("judgebench", str(clone), kw.pop("variant", None))  # type: ignore[arg-type]
    return create_judge(JudgeSpec("j", jtype, "m", templates=choice, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("jtype", sorted(EXPECTED))
def test_each_judgebench_template_renders_the_exact_prompt(jtype: str, clone: Path) -> None:
    judge = judgebench(jtype, clone)
    assert judge.messages(ITEM) == EXPECTED[jtype]  # type: ignore[attr-defined]


def test_the_notie_variant_and_pandalm_token_stripping(clone: Path) -> None:
    notie = judgebench("arena_hard", clone, variant="notie")
    assert notie.messages(ITEM)[0] == Message("system", "SYS: compare A and B; no ties.")  # type: ignore[attr-defined]
    panda = judgebench("pandalm", clone)
    msgs = panda.messages(JudgeInput("Q", "  <s>It is 4.</s> ", "[PAD]5[sMASK]"))  # type: ignore[attr-defined]
    assert msgs[0].content == "PANDA Q\n1: It is 4.\n2: 5\n### Evaluation:\n"


@pytest.mark.parametrize(
    ("jtype", "temperature", "max_tokens", "extra"),
    [
        ("arena_hard", 0.0, 4096, {}),
        ("compass_judger", 0.0, 2048, {}),
        ("vanilla", 0.0, 1024, {"top_p": 1.0}),
        ("autoj", 0.0, 1024, {"top_p": 1.0}),
        ("prometheus2", 0.0, 1024, {}),
        ("skywork_critic", 0.0, 2048, {}),
        ("judgelm", 0.0, 16, {}),
        (
            "pandalm",
            0.0,
            150,
            {
                "top_p": 1.0,
                "use_beam_search": True,
                "best_of": 4,
                "early_stopping": True,
                "repetition_penalty": 1.2,
            },
        ),
    ],
)
def test_decoding_follows_the_set(
    jtype: str, temperature: float, max_tokens: int, extra: dict, clone: Path
) -> None:
    options = judgebench(jtype, clone).options  # type: ignore[attr-defined]
    assert (options.temperature, options.max_tokens, options.extra) == (
        temperature,
        max_tokens,
        extra,
    )


@pytest.mark.parametrize(
    ("reply", "decision", "ask_again"),
    [
        ("My verdict: [[A>B]]", "A>B", False),
        ("[[B>>A]]", "B>A", False),
        ("[[A=B]]", "A=B", False),
        ("[[B>A]] and again [[B>A]]", "B>A", False),
        # `>>` is folded only after the distinct-label check: two labels, no decision.
        ("First [[A>B]], then [[A>>B]]", None, False),
        ("[[A>B]] ... [[B>A]]", None, False),
        # Labels JudgeBench counts that are no decision: no vote, and no follow-up either.
        ("[[A<B]]", None, False),
        ("[[A]]", None, False),
        ("[[A>>>B]]", None, False),
        # No whitespace inside the brackets: these are no labels, so the judge is asked again.
        ("[[ A>B ]]", None, True),
        ("[[A > B]]", None, True),
        ("no verdict at all", None, True),
    ],
)
def test_arena_hard_labels_are_counted_as_judgebench_counts_them(
    reply: str, decision: str | None, ask_again: bool
) -> None:
    assert judgebench_rules.arena_labels(reply) == (decision, ask_again)


def test_our_own_parser_keeps_its_leniencies() -> None:
    # Side by side with the JudgeBench rule above (docs/conformance.md lists both).
    assert arena_hard.parse("First [[A>B]], then [[A>>B]]") == "A>B"
    assert arena_hard.parse("[[ A > B ]]") == "A>B"
    assert arena_hard.parse("[[A<B]]") is None


@pytest.mark.parametrize(
    ("jtype", "reply", "decision"),
    [
        ("vanilla", "  Output (a)\n", "A>B"),
        ("vanilla", "Output (b)", "B>A"),
        ("vanilla", "**Output (a)**", None),
        ("vanilla", "Output (a). Output (a) is better", None),
        ("pandalm", "1\nResponse 1 is right", "A>B"),
        ("pandalm", "2", "B>A"),
        ("pandalm", "Tie", "A=B"),
        ("pandalm", "1 \nbecause", "A=B"),  # "1 " is not "1": JudgeBench's default is a tie
        ("judgelm", "8 3\nA explains more", "A>B"),
        ("judgelm", "2,9", "B>A"),
        ("judgelm", "8, 3", "A=B"),  # ", " makes three parts: both -1
        ("judgelm", " 8 3", "A=B"),  # a leading space, the same
        ("autoj", "... So, the final decision is Response 2.", "B>A"),
        ("autoj", "final decision is tie", "A=B"),
        ("autoj", "So, the Final decision is Response 1", None),  # case as written
        ("prometheus2", "Feedback ... [RESULT] B", "B>A"),
        ("prometheus2", "result: A", "A>B"),
        ("prometheus2", "[RESULT] A ... [RESULT] B", "A>B"),  # the first one counts
        ("prometheus2", "[RESULT] C", None),
        ("skywork_critic", "[[B]]", "B>A"),
        ("skywork_critic", "[[B]] (not A)", "A>B"),  # any capital A, first
        ("skywork_critic", "[[b]]", None),
    ],
)
def test_judgebench_rules_per_type(
    jtype: str, reply: str, decision: str | None, clone: Path
) -> None:
    assert judgebench(jtype, clone).decide(reply) == decision  # type: ignore[attr-defined]


def test_reward_model_ties_go_to_b_with_the_judgebench_set() -> None:
    assert judgebench_rules.reward(0.5, 0.5) == "B>A"
    assert reward_model.decide(0.5, 0.5) == "A=B"  # ours: a tie


def test_arena_hard_over_http_asks_the_sets_follow_up_once(clone: Path) -> None:
    """No label in the first reply: the follow-up text comes from the clone's judges.py;
    a first reply with any label (even `[[A]]`) gets no follow-up."""

    def script(req: object) -> str:
        said = [m for m in req.messages if m[0] == "assistant"]  # type: ignore[attr-defined]
        if "<A>\nIt is 4." in req.last_user and not said:  # type: ignore[attr-defined]
            return "Thinking about it."
        if said:
            return "Final: [[B>>A]]"
        return "Only [[A]] here"

    async def main() -> None:
        retry = RetryPolicy(max_attempts=1, attempt_timeout=5)
        async with FakeServer(script) as srv:
            config = ProviderConfig(type="openai_compatible", retry=retry)
            prov = OpenAIProvider("f", config, api_key=None, base_url=srv.base_url_openai)
            async with prov:
                judge = judgebench("arena_hard", clone)
                out = await judge.judge(ITEM, prov)  # type: ignore[attr-defined]
                assert (out.decision, out.calls) == ("B>A", 2)
                follow = srv.requests[1]["body"]["messages"]
                assert [m["role"] for m in follow] == ["system", "user", "assistant", "user"]
                assert follow[-1]["content"] == "OUR FOLLOW-UP: finish with a label"
                assert srv.requests[0]["body"]["temperature"] == 0.0
                assert srv.requests[0]["body"]["max_tokens"] == 4096
                other = await judge.judge(JudgeInput("Q", "x", "y"), prov)  # type: ignore[attr-defined]
                assert (other.decision, other.calls) == (None, 1)

    anyio.run(main)


def test_the_set_is_part_of_the_judgment_key_and_ours_is_unchanged(clone: Path) -> None:
    ours = create_judge(JudgeSpec("j", "vanilla", "m"))
    theirs = judgebench("vanilla", clone)
    assert "templates" not in ours.fingerprint()
    assert theirs.fingerprint()["templates"] == "judgebench"  # type: ignore[attr-defined]
    assert theirs.template_set() == "judgebench"  # type: ignore[attr-defined]
    edited = clone / "utils" / "templates" / "vanilla_prompt.jinja2"
    edited.write_text(edited.read_text() + " (edited)")
    again = judgebench("vanilla", clone)
    assert again.fingerprint() != theirs.fingerprint()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("jtype", "choice", "message"),
    [
        ("multi_agent", "judgebench", "has no judge of type 'multi_agent'"),
        ("vanilla", "nowhere", "is not a folder"),
        ("vanilla", None, "needs `path`"),
        ("vanilla", "notie", "unknown variant 'notie' for vanilla"),
    ],
)
def test_a_set_that_cannot_work_is_a_clear_error(
    jtype: str, choice: str | None, message: str, clone: Path, tmp_path: Path
) -> None:
    path, variant = str(clone), None
    if choice == "nowhere":
        path = str(tmp_path / "nowhere")
    elif choice is None:
        path = None  # type: ignore[assignment]
    elif choice == "notie":
        variant = "notie"
    with pytest.raises(ValueError, match=message):
        create_judge(
            JudgeSpec("j", jtype, "m", templates=TemplateChoice("judgebench", path, variant))  # type: ignore[arg-type]
        )


def test_a_missing_template_file_is_named(clone: Path) -> None:
    (clone / "utils" / "templates" / "judgelm_prompt.jinja2").unlink()
    with pytest.raises(ValueError, match=r"missing .*judgelm_prompt\.jinja2"):
        judgebench("judgelm", clone)


JOB = """\
name: faithful
providers:
  p: {{type: openai_compatible, base_url: "http://127.0.0.1:1/v1"}}
pairs:
  - {{format: judgebench, path: pairs.jsonl}}
templates: {{set: judgebench, path: {clone}}}
judges:
  - {{name: ah, type: arena_hard, provider: p, model: m}}
  - {{name: mine, type: vanilla, provider: p, model: m, templates: {{set: ours}}}}
  - {{name: v, type: vanilla, provider: p, model: m}}
"""


def test_a_job_level_set_is_every_judges_unless_it_names_its_own(
    clone: Path, tmp_path: Path
) -> None:
    (tmp_path / "pairs.jsonl").write_text("")
    job = tmp_path / "job.yaml"
    job.write_text(JOB.format(clone=clone))
    loaded = load_job(job, env={})
    judges = {c.name: create_judge(judge_spec(c, loaded.base_dir)) for c in loaded.job.judges}
    assert {n: j.template_set() for n, j in judges.items()} == {
        "ah": "judgebench",
        "mine": "ours",
        "v": "judgebench",
    }
    # The set decides results, so it is part of each judge's manifest hash.
    plain = load_job(job, ["templates=null"], env={})
    assert judge_fingerprints(plain.job)["ah"] != judge_fingerprints(loaded.job)["ah"]
    job.write_text(JOB.format(clone=tmp_path / "no-clone"))
    with pytest.raises(JobError) as exc:
        load_job(job, env={})
    assert any(
        p.startswith(f"{job}:8: judges.0: ") and "is not a folder" in p for p in exc.value.problems
    )


@pytest.fixture
def fake_prometheus_eval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A prometheus-eval package of our own, laid out as the real one (prompts.py)."""
    pkg = tmp_path / "site" / "prometheus_eval"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "prompts.py").write_text(
        'REL_SYSTEM_PROMPT = "OUR RELATIVE SYSTEM"\n'
        'RELATIVE_PROMPT_WO_REF = "REL {instruction} | {response_A} | {response_B} | '
        '{rubric} {{kept braces}}"\n'
        "def load_rubric(criteria, grading_format):\n"
        '    rubrics = {"factual_validity": "[Our factual rubric]\\nScore 1: ..."}\n'
        "    text = rubrics[criteria]\n"
        '    return text.split("\\n")[0] if grading_format == "relative" else text\n'
    )
    monkeypatch.syspath_prepend(str(pkg.parent))
    for name in [m for m in sys.modules if m.startswith("prometheus_eval")]:
        monkeypatch.delitem(sys.modules, name)
    yield pkg
    for name in [m for m in sys.modules if m.startswith("prometheus_eval")]:
        del sys.modules[name]  # our fake must not stand in for the real package later


def test_prometheus_eval_set_uses_the_packages_relative_prompt(fake_prometheus_eval: Path) -> None:
    judge = create_judge(
        JudgeSpec("p", "prometheus2", "m", templates=TemplateChoice("prometheus-eval"))
    )
    assert judge.messages(JudgeInput("Q {x}", "a {y}", "b")) == [  # type: ignore[attr-defined]
        Message("system", "OUR RELATIVE SYSTEM"),
        Message("user", "REL Q {x} | a {y} | b | [Our factual rubric] {kept braces}"),
    ]
    assert judge.decide("Feedback. [RESULT] B") == "B>A"  # type: ignore[attr-defined]
    assert (judge.options.temperature, judge.options.max_tokens) == (0.0, 1024)
    with pytest.raises(ValueError, match="only Prometheus 2's prompt"):
        create_judge(JudgeSpec("p", "vanilla", "m", templates=TemplateChoice("prometheus-eval")))


def test_prometheus_eval_set_without_the_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("prometheus_eval", "prometheus_eval.prompts"):  # as if not installed
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ValueError, match=r"needs the prometheus-eval package.*\[prometheus\]"):
        create_judge(
            JudgeSpec("p", "prometheus2", "m", templates=TemplateChoice("prometheus-eval"))
        )


def test_the_installed_prometheus_eval_package_loads_when_present() -> None:
    prompts = pytest.importorskip("prometheus_eval.prompts")
    judge = create_judge(
        JudgeSpec("p", "prometheus2", "m", templates=TemplateChoice("prometheus-eval"))
    )
    system, user = judge.messages(ITEM)  # type: ignore[attr-defined]
    assert system == Message("system", prompts.REL_SYSTEM_PROMPT)
    assert all(part in user.content for part in (ITEM.question, ITEM.answer_a, ITEM.answer_b))
    assert prompts.load_rubric("factual_validity", "relative") in user.content
