"""Sources and verifiers: one module per source (loader, prompt, verifier)."""

from verifiers.base import Question, Verdict

__all__ = ["Question", "Verdict"]
