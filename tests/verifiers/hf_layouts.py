"""Small datasets in the Hugging Face on-disk layouts, written by the tests themselves.

Each builder writes our own synthetic records in a source's native fields, laid out as the
Hub repository (or `save_to_disk`) lays them out, so `verifiers.hf` reads them through the
very call that reads the Hub id:

* MMLU-Pro (``TIGER-Lab/MMLU-Pro``): parquet shards ``data/test-0000N-of-0000M.parquet``,
  or a `save_to_disk` DatasetDict;
* LiveBench (``livebench/reasoning``, ``livebench/math``): parquet shards whose release
  dates are timestamps (they arrive as ``datetime``, as from the Hub);
* LiveCodeBench (``livecodebench/code_generation_lite``): ``test.jsonl``, ``test2.jsonl``
  (one file per release), private tests base64(zlib(pickle(JSON)));
* JudgeBench (``ScalerLab/JudgeBench``): ``data/gpt-00000-of-00001.jsonl`` and
  ``data/claude-00000-of-00001.jsonl``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import pickle
import zlib
from pathlib import Path
from typing import Any

import datasets
import orjson

LETTERS = "ABCDEFGHIJ"


def mmlu_rows(n: int, categories: tuple[str, ...] = ("law", "math")) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        answer = i % 4
        rows.append(
            {
                "question_id": 100 + i,
                "question": f"Synthetic stem {i}: which choice is the right one?",
                "options": [f"choice {j} for {i}" for j in range(4)],
                "answer": LETTERS[answer],
                "answer_index": answer,
                "cot_content": "",
                "category": categories[i % len(categories)],
                "src": "ours",
            }
        )
    return rows


def parquet_shards(folder: Path, split: str, rows: list[dict[str, Any]], shards: int = 2) -> Path:
    """`rows` as `data/<split>-0000k-of-0000n.parquet`, the Hub's shard names."""
    ds = datasets.Dataset.from_list(rows)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for k in range(shards):
        name = f"{split}-{k:05d}-of-{shards:05d}.parquet"
        ds.shard(num_shards=shards, index=k, contiguous=True).to_parquet(folder / "data" / name)
    return folder


def saved_dict(folder: Path, split: str, rows: list[dict[str, Any]]) -> Path:
    """`rows` as one split of a DatasetDict written by `save_to_disk`."""
    datasets.DatasetDict({split: datasets.Dataset.from_list(rows)}).save_to_disk(str(folder))
    return folder


def livebench_rows(category: str, task: str, n: int, **extra: Any) -> list[dict[str, Any]]:
    """LiveBench records; the release date is a datetime, as the Hub's parquet holds it."""
    rows = []
    for i in range(n):
        released = dt.datetime(2024, 6, 24) if i % 2 == 0 else dt.datetime(2024, 11, 25)
        rows.append(
            {
                "question_id": f"{task}-{i:04d}",
                "category": category,
                "task": task,
                "turns": [f"Our own {task} puzzle number {i}. Answer in the asked format."],
                "ground_truth": extra.get("truth", str(i % 5)),
                "livebench_release_date": released,
                "livebench_removal_date": "",
                **{k: v for k, v in extra.items() if k != "truth"},
            }
        )
    return rows


def livebench_parquet(folder: Path, rows: list[dict[str, Any]]) -> Path:
    features = datasets.Features(
        {
            "question_id": datasets.Value("string"),
            "category": datasets.Value("string"),
            "task": datasets.Value("string"),
            "turns": datasets.Sequence(datasets.Value("string")),
            "ground_truth": datasets.Value("string"),
            "livebench_release_date": datasets.Value("timestamp[s]"),
            "livebench_removal_date": datasets.Value("string"),
        }
    )
    ds = datasets.Dataset.from_list(rows, features=features)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    ds.to_parquet(folder / "data" / "test-00000-of-00001.parquet")
    return folder


def encode_private(tests: list[dict[str, str]]) -> str:
    """LiveCodeBench's packing of private tests: base64(zlib(pickle(JSON text)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def lcb_row(qid: str, date: str, private: list[dict[str, str]]) -> dict[str, Any]:
    """A stdin problem: print the sum of two integers (our own statement)."""
    public = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    return {
        "question_title": f"Sum {qid}",
        "question_content": f"Problem {qid}: read two integers and print their sum.",
        "platform": "atcoder",
        "question_id": qid,
        "contest_id": "ours",
        "contest_date": f"{date}T00:00:00",
        "starter_code": "",
        "difficulty": "easy",
        "public_test_cases": json.dumps(public),
        "private_test_cases": encode_private(private),
        "metadata": "{}",
    }


def lcb_repo(folder: Path, releases: list[list[dict[str, Any]]]) -> Path:
    """One `testN.jsonl` per release (the first is `test.jsonl`), as the Hub repo has."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, rows in enumerate(releases, start=1):
        name = "test.jsonl" if n == 1 else f"test{n}.jsonl"
        (folder / name).write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return folder


def judgebench_repo(folder: Path, splits: dict[str, list[dict[str, Any]]]) -> Path:
    """`data/<split>-00000-of-00001.jsonl` per split, as ScalerLab/JudgeBench has."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        path = folder / "data" / f"{split}-00000-of-00001.jsonl"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return folder


def judgebench_pairs(model: str, n: int) -> list[dict[str, Any]]:
    """Pairs in JudgeBench's fields (our own texts); labels alternate."""
    return [
        {
            "pair_id": f"{model}-pair-{i:03d}",
            "original_id": 100 + i if i % 2 == 0 else None,
            "source": "mmlu-pro-law" if i % 2 == 0 else "livebench-reasoning",
            "question": f"Our question {i} for {model}.",
            "response_model": model,
            "response_A": f"answer A{i}",
            "response_B": f"answer B{i}",
            "label": "A>B" if i % 3 else "B>A",
        }
        for i in range(n)
    ]
