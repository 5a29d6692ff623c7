"""Shared helpers for engine tests: synthetic questions, a fake server process, a job file."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from fakes.process import fake_server_process

REPO = Path(__file__).resolve().parents[2]


def write_questions(path: Path, n: int, seed: int = 0) -> None:
    """MMLU-Pro-format questions with 4 options (our own synthetic text)."""
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        for i in range(n):
            answer = rng.randrange(4)
            fh.write(
                orjson.dumps(
                    {
                        "question_id": i,
                        "question": f"Synthetic question {i}: which option is right?",
                        "options": [f"choice {j} of {i}" for j in range(4)],
                        "answer": "ABCD"[answer],
                        "answer_index": answer,
                        "cot_content": "",
                        "category": "math",
                        "src": "test",
                    }
                )
                + b"\n"
            )


@contextmanager
def fake_server(log: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The loopback fake API server as a real process; yields (process, base URL)."""
    script = "tests.engine.scripts:answer_or_judge"
    with fake_server_process("--script", script, "--log", str(log), *args) as served:
        yield served


def job_yaml(
    name: str,
    out: Path,
    questions: Path,
    base_url: str,
    *,
    samples: int = 2,
    concurrency: int = 8,
    judges: bool = True,
) -> str:
    text = f"""
name: {name}
output_dir: {out}
seed: 11
providers:
  fake:
    type: openai_compatible
    base_url: {base_url}
    max_concurrency: {concurrency}
    retry: {{max_attempts: 3, initial_backoff: 0.05, max_backoff: 0.2}}
sources:
  - {{format: mmlu_pro, path: {questions}}}
response_model: {{provider: fake, model: answerer, samples: {samples}, temperature: 0.7}}
concurrency: {{generate: {concurrency}, judge: {concurrency}}}
"""
    if judges:
        text += "judges:\n  - {name: j, type: vanilla, provider: fake, model: judge}\n"
    return text


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m engine ARGS` as a real process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
