"""Where the viewer highlights a judge's verdict, per judge type."""

from __future__ import annotations

from engine.report.locate import utf16_offsets, verdict_spans


def _marked(judge_type: str | None, text: str) -> list[str]:
    return [text[s:e] for s, e in verdict_spans(judge_type, text)]


def test_each_judge_type_points_at_its_mark() -> None:
    assert _marked("arena_hard", "long reasoning...\nMy final verdict is [[A>>B]].") == ["[[A>>B]]"]
    assert _marked("vanilla", "**Output (b)**") == ["Output (b)"]
    assert _marked("prometheus2", "Feedback: fine. [RESULT] A") == ["[RESULT] A"]
    assert _marked("prometheus_2", "Feedback: fine. [RESULT] B") == [
        "[RESULT] B"
    ]  # JudgeBench's name
    assert _marked("skywork_critic", "[[B]]") == ["[[B]]"]
    assert _marked("skywork_critic", " A ") == ["A"]
    text = "the final decision is Response 2. On reflection, the final decision is Tie"
    assert _marked("autoj", text) == ["final decision is Tie"]  # the last one counts
    assert _marked("judge_lm", "\n 8 3 \nbecause...") == ["8 3"]
    assert _marked("pandalm", "2\n\nReason: ...") == ["2"]
    assert _marked("reward_model", '{"scores": [1.5, -0.25]}') == ['"scores": [1.5, -0.25]']


def test_conflicting_labels_are_all_shown_and_unknown_types_search_every_pattern() -> None:
    assert _marked("arena_hard", "[[A>B]] or maybe [[B>A]]") == ["[[A>B]]", "[[B>A]]"]
    assert _marked(None, "I pick Output (a) because [[A>B]]") == ["Output (a)", "[[A>B]]"]
    assert verdict_spans("arena_hard", "no verdict here") == []
    assert verdict_spans("arena_hard", None) == []


def test_offsets_are_utf16_for_the_browser() -> None:
    text = "😀 é [[A>B]]"  # the emoji is two UTF-16 units, one Python character
    (span,) = verdict_spans("arena_hard", text)
    assert span == (4, 11)
    assert utf16_offsets(text, [span]) == [(5, 12)]
    assert utf16_offsets("plain [[A=B]]", [(6, 13)]) == [(6, 13)]
