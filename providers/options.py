"""Decoding options: one shape for temperature, token cap, output schema and body extras.

The same type goes from the job file to the wire. Settings come in layers (a judge type's
defaults under the job's judge settings; a model's settings under its per-source overrides),
and `merge` lays one over another, as inspect_ai's `GenerateConfig.merge` does: a field the
later layer sets wins, and `extra` is merged key by key.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DecodingOptions(BaseModel):
    """What a chat call asks of the model besides its messages (every field optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = None
    max_tokens: int | None = Field(None, ge=1)
    # A JSON schema the answer must follow, where the API supports structured output.
    response_schema: dict[str, Any] | None = None
    # Merged into the request body as-is (e.g. llama.cpp `grammar`, `seed`).
    extra: dict[str, Any] = Field(default_factory=dict)

    def merge(self, other: DecodingOptions) -> DecodingOptions:
        """`other` laid over `self`: its set fields win, its `extra` keys win over ours."""
        mine, theirs = self.as_dict(), other.as_dict()
        merged = {k: theirs[k] if theirs[k] is not None else mine[k] for k in _SCALARS}
        # Built without validation: both sides were validated when they were made.
        return DecodingOptions.model_construct(**merged, extra={**self.extra, **other.extra})

    def as_dict(self) -> dict[str, Any]:
        """Every field as plain data (the `params` of a request key)."""
        out = {name: getattr(self, name) for name in _SCALARS}
        out["extra"] = dict(self.extra)
        return out

    def given(self) -> dict[str, Any]:
        """Only the fields that are set (None and an empty `extra` left out)."""
        return {k: v for k, v in self.as_dict().items() if v is not None and v != {}}


_SCALARS = tuple(name for name in DecodingOptions.model_fields if name != "extra")
NO_OPTIONS = DecodingOptions()
