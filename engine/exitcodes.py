"""The exit codes of `python -m engine`, listed once (the CLI's help is made from them)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED_CALLS = 1
    INVALID = 2
    PROVIDER_STOPPED = 3
    INTERRUPTED = 130


MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "finished; every call succeeded",
    ExitCode.FAILED_CALLS: "finished, but some calls failed (recorded; `run` again to retry only "
    "those)",
    ExitCode.INVALID: "invalid job or command line, or a resume refused because the job changed",
    ExitCode.PROVIDER_STOPPED: "a provider was stopped (bad key, quota exhausted); fix it, then "
    "`run` again",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); `run` again to resume",
}


def help_text() -> str:
    """The exit-code table of `python -m engine --help`."""
    return "Exit codes:\n" + "\n".join(f"  {int(c):<4} {MEANING[c]}" for c in ExitCode)
