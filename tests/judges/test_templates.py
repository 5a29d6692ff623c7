"""Templates: sections, one-pass placeholders, clear errors, overrides and request settings."""

from __future__ import annotations

import pytest

from engine.judges.base import JudgeInput, JudgeSpec
from engine.judges.registry import JUDGE_TYPES, create_judge
from engine.judges.templating import TemplateError, render, split_sections
from providers.options import DecodingOptions

ITEM = JudgeInput("What is 2+2?", "4", "5")


@pytest.mark.parametrize("jtype", sorted(set(JUDGE_TYPES) - {"reward_model"}))
def test_every_default_template_renders_the_pair(jtype: str) -> None:
    judge = create_judge(JudgeSpec("j", jtype, "m"))
    if jtype == "multi_agent":
        msgs = judge._messages(ITEM, judge.agents[0], "vote", "")  # type: ignore[attr-defined]
    else:
        msgs = judge.messages(ITEM)  # type: ignore[attr-defined]
    text = "\n".join(m.content for m in msgs)
    assert "What is 2+2?" in text and "{{" not in text
    # The first answer is shown before the second: the order is the judge's "A, B".
    assert text.index("\n4\n") < text.index("\n5\n")


def test_answers_are_inserted_verbatim_never_re_expanded() -> None:
    judge = create_judge(JudgeSpec("j", "vanilla", "m"))
    sneaky = JudgeInput("Q", "use {{answer_b}} and {x}", "B-TEXT")
    (msg,) = judge.messages(sneaky)  # type: ignore[attr-defined]
    assert "use {{answer_b}} and {x}" in msg.content
    assert msg.content.count("B-TEXT") == 1


def test_split_sections_defaults_to_user_and_rejects_repeats() -> None:
    assert split_sections("hello {{question}}", "t") == {"user": "hello {{question}}"}
    s = split_sections("--- system ---\nS\n--- user ---\nU\n", "t")
    assert s == {"system": "S", "user": "U"}
    with pytest.raises(TemplateError, match=r"t, line 3: section 'user' appears twice"):
        split_sections("--- user ---\na\n--- user ---\nb", "t")


def test_render_single_pass() -> None:
    assert render("{{a}}-{{ b }}", {"a": "{{b}}", "b": "x"}) == "{{b}}-x"


def test_override_with_unknown_placeholder_names_file_and_line() -> None:
    bad = "--- user ---\nQuestion: {{question}}\nFirst: {{answer_1}}\n"
    spec = JudgeSpec("mine", "vanilla", "m", template=bad, template_path="jobs/t/v.txt")
    with pytest.raises(TemplateError, match=r"jobs/t/v\.txt, line 3: unknown placeholder"):
        create_judge(spec)


def test_override_missing_required_section() -> None:
    spec = JudgeSpec("mine", "arena_hard", "m", template="{{question}} {{answer_a}}")
    with pytest.raises(TemplateError, match="missing section"):
        create_judge(spec)


def test_unknown_type_lists_known_types() -> None:
    with pytest.raises(ValueError, match=r"unknown type 'nope'.*arena_hard"):
        create_judge(JudgeSpec("j", "nope", "m"))


def test_override_is_used_and_changes_the_fingerprint() -> None:
    default = create_judge(JudgeSpec("j", "vanilla", "m"))
    custom_text = "Pick: Output (a) or Output (b)?\n{{question}}\n{{answer_a}}\n{{answer_b}}"
    custom = create_judge(JudgeSpec("j", "vanilla", "m", template=custom_text))
    (msg,) = custom.messages(ITEM)  # type: ignore[attr-defined]
    assert msg.content.startswith("Pick: Output (a) or Output (b)?\nWhat is 2+2?")
    assert default.fingerprint() != custom.fingerprint()
    assert custom.fingerprint()["template"] == custom_text
    assert "Output (a)" in default.fingerprint()["template"]


def test_job_options_override_decoding_defaults() -> None:
    judge = create_judge(JudgeSpec("j", "arena_hard", "m"))
    req = judge.request(judge.messages(ITEM))  # type: ignore[attr-defined]
    assert (req.options.temperature, req.options.max_tokens) == (0.0, 4096)
    tuned = create_judge(
        JudgeSpec(
            "j",
            "arena_hard",
            "m",
            options=DecodingOptions(temperature=0.7, max_tokens=99, extra={"seed": 3}),
        )
    )
    req = tuned.request(tuned.messages(ITEM))  # type: ignore[attr-defined]
    opts = req.options
    assert (opts.temperature, opts.max_tokens, dict(opts.extra)) == (0.7, 99, {"seed": 3})
    assert [m.role for m in req.messages] == ["system", "user"]


def test_unknown_or_bad_type_settings_are_named() -> None:
    with pytest.raises(ValueError, match=r"judge 'j': params\.rounds_: unknown setting.*rounds"):
        create_judge(JudgeSpec("j", "multi_agent", "m", params={"rounds_": 1}))
    with pytest.raises(ValueError, match=r"judge 'j': params\.followups: .*greater than or equal"):
        create_judge(JudgeSpec("j", "arena_hard", "m", params={"followups": -1}))
    with pytest.raises(ValueError, match=r"params\.x: unknown setting .*\(known: none\)"):
        create_judge(JudgeSpec("j", "vanilla", "m", params={"x": 1}))


def test_multi_agent_rejects_bad_agents() -> None:
    with pytest.raises(ValueError, match=r"params\.agents"):
        create_judge(JudgeSpec("panel", "multi_agent", "m", params={"agents": ["x"]}))
