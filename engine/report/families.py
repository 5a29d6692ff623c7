"""Model families, for self-preference: does a judge favour answers from its own lineage?

A family is the lab's line of models a name belongs to. Names are matched case-insensitively
anywhere in the string, so organisation prefixes (`openai/gpt-4o`, `meta-llama/...`,
`models/gemini-1.5-pro`) and date or size suffixes do not matter. The rules are tried in
order and the first match wins; a fine-tune that names its base model (for example
`Skywork-Critic-Llama-3.1-70B`, `Skywork-Reward-Gemma-2-27B`) belongs to the base model's
family, since that is the lineage whose style it may prefer. A name no rule matches has no
family (None) and is left out of the self-preference comparison.

| family | matches (tried in this order) |
|---|---|
| meta | llama |
| google | gemini, gemma, palm, bison |
| mistral | mistral, mixtral, codestral, ministral, pixtral |
| qwen | qwen, qwq |
| deepseek | deepseek |
| anthropic | claude |
| openai | gpt-, chatgpt, davinci, o1 / o3 / o4 (as a whole word) |
| microsoft | phi- (as a word start) |
| cohere | command-r, command-a, c4ai |
| xai | grok |
| smollm | smollm |
| glm | chatglm, glm (as a word start) |
| yi | yi- (as a word start) |
"""

from __future__ import annotations

import re

FAMILY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern, re.IGNORECASE))
    for family, pattern in (
        # Fine-tunes name their base model: test the bases before lab-specific words.
        ("meta", r"llama"),
        ("google", r"gemini|gemma|palm|bison"),
        ("mistral", r"mistral|mixtral|codestral|ministral|pixtral"),
        ("qwen", r"qwen|qwq"),
        ("deepseek", r"deepseek"),
        ("anthropic", r"claude"),
        ("openai", r"gpt-|chatgpt|davinci|(?<![a-z0-9])o[134](?![a-z0-9])"),
        ("microsoft", r"(?<![a-z0-9])phi-"),
        ("cohere", r"command-r|command-a|c4ai"),
        ("xai", r"grok"),
        ("smollm", r"smollm"),
        ("glm", r"chatglm|(?<![a-z0-9])glm"),
        ("yi", r"(?<![a-z0-9])yi-"),
    )
)


def model_family(name: str | None) -> str | None:
    """The family of a model name, or None when no rule knows it."""
    if not name:
        return None
    for family, pattern in FAMILY_RULES:
        if pattern.search(name):
            return family
    return None
