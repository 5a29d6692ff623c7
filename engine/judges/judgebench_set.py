"""The `judgebench` template set: JudgeBench's own judges, from the user's clone.

JudgeBench's Jinja2 files (``utils/templates/<name>.jinja2``) are rendered as JudgeBench
renders them: a Jinja2 environment over that folder with ``trim_blocks`` and
``lstrip_blocks``, and the variable names JudgeBench passes for each judge type (an
undefined one renders empty, as there). The few texts JudgeBench keeps in code rather than
in template files (arena-hard's follow-up turn, Prometheus 2's system prompt and rubric) are
read from the clone's ``utils/judges.py`` as string literals (parsed with `ast`, never run).
Decoding settings and the verdict rule (engine.judges.judgebench_rules) are JudgeBench's for
the type; ``variant: notie`` picks arena-hard's system prompt without a tie label.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.judges import judgebench_rules as rules
from engine.judges.template_sets import LoadedSet, Rule, TemplateChoice
from engine.judges.templating import TemplateError
from engine.records import Decision
from providers.base import Message
from providers.options import DecodingOptions

# PandaLM's special tokens, which JudgeBench strips from both responses before rendering
# (one alternation, in JudgeBench's order, so overlapping cases come out as there).
_PANDALM_TOKENS = re.compile(
    "|".join(
        map(
            re.escape,
            "<unk> <pad> <s> </s> [PAD] <|endoftext|> [UNK] [CLS] [MASK] <|startofpiece|> "
            "<|endofpiece|> [gMASK] [sMASK]".split(),
        )
    )
)


def _options(temperature: float, max_tokens: int, **extra: Any) -> DecodingOptions:
    return DecodingOptions(temperature=temperature, max_tokens=max_tokens, extra=extra)


# JudgeBench's decoding settings per judge type (utils/judges.py).
JUDGEBENCH_OPTIONS: dict[str, DecodingOptions] = {
    "arena_hard": _options(0.0, 4096),
    "compass_judger": _options(0.0, 2048),
    "vanilla": _options(0.0, 1024, top_p=1.0),
    "autoj": _options(0.0, 1024, top_p=1.0),
    "prometheus2": _options(0.0, 1024),
    "skywork_critic": _options(0.0, 2048),
    "judgelm": _options(0.0, 16),
    "pandalm": _options(
        0.0,
        150,
        top_p=1.0,
        use_beam_search=True,
        best_of=4,
        early_stopping=True,
        repetition_penalty=1.2,
    ),
    "reward_model": DecodingOptions(),
}


class _Clone:
    """A clone of ScalerLab/JudgeBench: its template folder and its judges' code."""

    def __init__(self, path: str | None) -> None:
        if not path:
            raise TemplateError("template set 'judgebench' needs `path`: a clone of JudgeBench")
        self.root = Path(path)
        self.templates = self.root / "utils" / "templates"
        if not self.templates.is_dir():
            raise TemplateError(
                f"template set 'judgebench': {self.templates} is not a folder "
                "(is `path` a clone of ScalerLab/JudgeBench?)"
            )
        from jinja2 import FileSystemLoader
        from jinja2.sandbox import SandboxedEnvironment

        # JudgeBench's environment (utils/prompts.py), sandboxed: the same output for its
        # templates, and a template cannot reach Python objects it was not given.
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.templates)), trim_blocks=True, lstrip_blocks=True
        )
        self.sources: list[str] = []

    def template(self, name: str) -> Callable[..., str]:
        file = self.templates / f"{name}.jinja2"
        if not file.is_file():
            raise TemplateError(f"template set 'judgebench': missing {file}")
        self.sources.append(file.read_text("utf-8"))
        tpl = self.env.get_template(f"{name}.jinja2")
        return tpl.render

    def code_strings(self, class_name: str) -> dict[str, str]:
        """String literals of one judge class in utils/judges.py: `self.<name> = "..."`
        assignments by name, and the content of a ``{"role": "user", "content": "..."}``
        message built there (under the key ``user_message``)."""
        file = self.root / "utils" / "judges.py"
        try:
            tree = ast.parse(file.read_text("utf-8"), str(file))
        except (OSError, SyntaxError) as exc:
            raise TemplateError(f"template set 'judgebench': cannot read {file}: {exc}") from None
        cls = next(
            (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name),
            None,
        )
        if cls is None:
            raise TemplateError(f"template set 'judgebench': no class {class_name} in {file}")
        found: dict[str, str] = {}
        for node in ast.walk(cls):
            if isinstance(node, ast.Assign) and (value := _str(node.value)) is not None:
                for target in node.targets:
                    if isinstance(target, ast.Attribute):
                        found[target.attr] = value
            elif isinstance(node, ast.Dict):
                pairs = {
                    key: value
                    for k, v in zip(node.keys, node.values, strict=True)
                    if (key := _str(k)) is not None and (value := _str(v)) is not None
                }
                if pairs.get("role") == "user" and "content" in pairs:
                    found["user_message"] = pairs["content"]
        self.sources.append(repr(sorted(found.items())))
        return found

    def need(self, strings: dict[str, str], name: str, class_name: str) -> str:
        if name not in strings:
            raise TemplateError(
                f"template set 'judgebench': no string {name!r} in class {class_name} of "
                f"{self.root / 'utils' / 'judges.py'}"
            )
        return strings[name]


def _str(node: ast.AST | None) -> str | None:
    """The value of a string literal, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _pandalm_clean(text: str) -> str:
    return _PANDALM_TOKENS.sub("", text.strip()).strip()


def load(choice: TemplateChoice, judge_type: str) -> LoadedSet:
    if judge_type not in JUDGEBENCH_OPTIONS:
        raise TemplateError(
            f"template set 'judgebench' has no judge of type {judge_type!r} "
            f"(it has {', '.join(sorted(JUDGEBENCH_OPTIONS))})"
        )
    if choice.variant not in (None, "notie") or (choice.variant and judge_type != "arena_hard"):
        raise TemplateError(
            f"template set 'judgebench': unknown variant {choice.variant!r} for {judge_type} "
            "(arena_hard has 'notie')"
        )
    options = JUDGEBENCH_OPTIONS[judge_type]
    if judge_type == "reward_model":  # no prompt: only the tie rule is JudgeBench's
        return LoadedSet(choice, lambda q, a, b: [], lambda text: None, options, "reward_model")
    clone = _Clone(choice.path)
    render, rule, attempts, followup = _judgebench_type(clone, judge_type, choice)
    return LoadedSet(
        choice,
        render,
        rule,
        options,
        "\n\x1e".join(clone.sources),
        attempts=attempts,
        followup=followup,
        labels=rules.arena_labels if judge_type in ("arena_hard", "compass_judger") else None,
    )


def _arena_rule(text: str) -> Decision | None:
    return rules.arena_labels(text)[0]


# Judge types whose one user message is one template: (file, the names JudgeBench gives the
# question and the two answers, the verdict rule).
_ONE_TEMPLATE: dict[str, tuple[str, tuple[str, str, str], Rule]] = {
    "compass_judger": ("compass_judger_prompt", ("question", "answer_a", "answer_b"), _arena_rule),
    "vanilla": ("vanilla_prompt", ("question", "answer_a", "answer_b"), rules.vanilla),
    "autoj": ("autoj_prompt", ("question", "response", "response_another"), rules.autoj),
    "skywork_critic": (
        "skywork_critic_prompt",
        ("input", "response_a", "response_b"),
        rules.skywork_critic,
    ),
    "judgelm": ("judgelm_prompt", ("question", "answer_1", "answer_2"), rules.judgelm),
}


def _judgebench_type(
    clone: _Clone, judge_type: str, choice: TemplateChoice
) -> tuple[Callable[[str, str, str], list[Message]], Rule, int, str | None]:
    """(render, rule, attempts, follow-up) of one JudgeBench judge type."""
    if judge_type in _ONE_TEMPLATE:
        name, (q_var, a_var, b_var), rule = _ONE_TEMPLATE[judge_type]
        tpl = clone.template(name)

        def render(q: str, a: str, b: str) -> list[Message]:
            return [Message("user", tpl(**{q_var: q, a_var: a, b_var: b}))]

        return render, rule, 1, None
    if judge_type == "arena_hard":
        system = clone.template(
            "arena_hard_judge_system_notie" if choice.variant else "arena_hard_judge_system"
        )
        user = clone.template("arena_hard_judge_prompt")
        code = clone.code_strings("ArenaHard")
        followup = clone.need(code, "user_message", "ArenaHard")
        return (
            lambda q, a, b: [
                Message("system", system()),
                Message("user", user(prompt=q, answer_a=a, answer_b=b)),
            ],
            _arena_rule,
            2,
            followup,
        )
    if judge_type == "pandalm":
        tpl = clone.template("pandalm_prompt")
        # JudgeBench strips the responses of PandaLM's special tokens and appends the
        # newline that Jinja2 drops from the template's end.
        return (
            lambda q, a, b: [
                Message(
                    "user",
                    tpl(instruction=q, resp1=_pandalm_clean(a), resp2=_pandalm_clean(b)) + "\n",
                )
            ],
            rules.pandalm,
            1,
            None,
        )
    # prometheus2
    tpl = clone.template("prometheus2_prompt")
    code = clone.code_strings("Prometheus2")
    system_text = clone.need(code, "REL_SYSTEM_PROMPT", "Prometheus2")
    rubric = clone.need(code, "rubric", "Prometheus2")
    return (
        lambda q, a, b: [
            Message("system", system_text),
            Message("user", tpl(instruction=q, response_A=a, response_B=b, rubric=rubric)),
        ],
        rules.prometheus2,
        1,
        None,
    )
