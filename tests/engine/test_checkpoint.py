"""Checkpoint files: torn-line recovery, write-through of paid records, resume indexes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from engine.checkpoint import RunStore
from engine.records import JudgmentRecord, ResponseRecord, VerdictRecord
from verifiers.jsonl import JsonlLog


def _response(key: str, text: str | None = "x", error: str | None = None) -> ResponseRecord:
    return ResponseRecord(
        request_key=key,
        question_id="q",
        source="s",
        sample_index=0,
        provider="p",
        model="m",
        text=text,
        error=error,
    )


def test_torn_last_line_is_dropped_and_earlier_lines_kept(tmp_path: Path) -> None:
    path = tmp_path / "responses.jsonl"
    good = orjson.dumps(_response("k1").to_dict()) + b"\n"
    path.write_bytes(good + b'{"request_key": "k2", "text": "half')
    store = RunStore(tmp_path)
    cut = store.open()
    assert cut == {"responses.jsonl": len(b'{"request_key": "k2", "text": "half')}
    assert path.read_bytes() == good
    assert store.has(ResponseRecord, "k1") and not store.has(ResponseRecord, "k2")
    # Appending after recovery yields whole lines only.
    store.put(_response("k3"))
    store.close()
    lines = path.read_bytes().splitlines()
    assert [orjson.loads(x)["request_key"] for x in lines] == ["k1", "k3"]


def test_torn_line_longer_than_a_block_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"y" * 200_000)
    log = JsonlLog(path, durable=True)
    assert log.recover() == 200_000
    assert path.read_bytes() == b'{"a": 1}\n'


def test_whole_file_torn_becomes_empty(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": 1')
    assert JsonlLog(path, durable=True).recover() == 7
    assert path.read_bytes() == b""


def test_failed_calls_are_not_results(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.open()
    store.put(_response("bad", text=None, error="server"))
    store.put(_response("good"))
    store.close()
    again = RunStore(tmp_path)
    again.open()
    assert not again.has(ResponseRecord, "bad")
    assert again.get(ResponseRecord, "good").text == "x"
    assert again.failed_before[ResponseRecord] == 1


def test_a_later_success_supersedes_an_earlier_failure(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.open()
    store.put(_response("k", text=None, error="timeout"))
    store.put(_response("k", text="answer"))
    store.close()
    again = RunStore(tmp_path)
    again.open()
    assert again.get(ResponseRecord, "k").text == "answer"


def test_paid_records_reach_the_file_before_put_returns(tmp_path: Path) -> None:
    """Responses and judgments are written through; a kill right after put loses nothing."""
    store = RunStore(tmp_path)
    store.open()
    store.put(_response("k"))
    store.put(
        JudgmentRecord(request_key="j", pair_id="p", judge="J", order="AB", raw="r", decision="A>B")
    )
    # Not closed, not flushed: read what the OS has.
    assert b'"k"' in (tmp_path / "responses.jsonl").read_bytes()
    assert b'"j"' in (tmp_path / "judgments.jsonl").read_bytes()
    # Derived records are batched: nothing yet until a flush.
    store.put(
        VerdictRecord(
            response_key="k",
            question_id="q",
            source="s",
            task="t",
            correct=True,
            score=1.0,
            extracted="A",
            reason="ok",
        )
    )
    assert not (tmp_path / "verdicts.jsonl").exists()
    store.flush()
    assert b'"k"' in (tmp_path / "verdicts.jsonl").read_bytes()


def test_kill_9_after_put_keeps_the_record(tmp_path: Path) -> None:
    """A real process writes a paid record and SIGKILLs itself: the record survives."""
    code = f"""
import os, signal
from pathlib import Path
from engine.checkpoint import RunStore
from engine.records import ResponseRecord
s = RunStore(Path({str(tmp_path)!r})); s.open()
s.put(ResponseRecord(request_key="survivor", question_id="q", source="s", sample_index=0,
                     provider="p", model="m", text="paid"))
os.kill(os.getpid(), signal.SIGKILL)
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2])
    assert proc.returncode == -9
    store = RunStore(tmp_path)
    store.open()
    assert store.get(ResponseRecord, "survivor").text == "paid"


def test_index_holds_offsets_not_texts(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.open()
    for i in range(50):
        store.put(_response(f"k{i}", text="t" * 1000))
    store.close()
    again = RunStore(tmp_path)
    again.open()
    index = again._index[ResponseRecord]
    assert all(isinstance(v, int) for v in index.values())
    assert again.get(ResponseRecord, "k49").text == "t" * 1000
    assert os.path.getsize(tmp_path / "responses.jsonl") > 50_000
