"""Bounded decoding of LiveCodeBench private tests (verifiers/lcb_private.py)."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pytest

from verifiers import lcb_private, livecodebench
from verifiers.errors import SourceError
from verifiers.lcb_private import PrivateTestsError, decode_private_tests

TESTS = [{"input": "1\n", "output": "1\n", "testtype": "stdin"}]


def _encode(obj: object, protocol: int = pickle.DEFAULT_PROTOCOL) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(obj, protocol=protocol))).decode()


def test_plain_forms_decode() -> None:
    assert decode_private_tests(json.dumps(TESTS)) == TESTS
    assert decode_private_tests(_encode(json.dumps(TESTS))) == TESTS
    assert decode_private_tests(_encode(TESTS)) == TESTS
    assert decode_private_tests(_encode(json.dumps(TESTS).encode())) == TESTS
    assert decode_private_tests("  ") == []


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_globals_are_refused_before_anything_is_built(protocol: int) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    with pytest.raises(PrivateTestsError, match="refused pickle opcode"):
        decode_private_tests(_encode([Evil()], protocol))


def test_a_zlib_bomb_stops_at_the_size_limit() -> None:
    bomb = base64.b64encode(zlib.compress(b"x" * (8 << 20))).decode()
    assert len(bomb) < 20_000
    with pytest.raises(PrivateTestsError, match="exceed 1000000 bytes"):
        decode_private_tests(bomb, max_bytes=1_000_000)


def test_memo_references_cannot_expand_a_small_record() -> None:
    """One 10 KB string referenced 200,000 times: a few KB pickled, 2 GB written out."""
    shared = "y" * 10_000
    record = _encode([{"input": shared, "output": shared}] * 1 + [shared] * 200_000)
    assert len(record) < 600_000
    with pytest.raises(PrivateTestsError, match="expand to more than"):
        decode_private_tests(record)


def test_too_many_objects_are_refused_without_building_them() -> None:
    with pytest.raises(PrivateTestsError, match="more than 1000 objects"):
        decode_private_tests(_encode(list(range(5000))), max_objects=1000)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(PrivateTestsError, match="nest too deeply"):
        decode_private_tests(_encode("[" * 200_000 + "]" * 200_000))


def test_the_loader_names_file_line_field_and_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lcb_private, "MAX_PRIVATE_BYTES", 5000)
    rec = {
        "question_title": "t",
        "question_content": "c",
        "platform": "atcoder",
        "question_id": "x1",
        "contest_date": "2023-08-01T00:00:00",
        "starter_code": "",
        "difficulty": "easy",
        "public_test_cases": json.dumps(TESTS),
        "private_test_cases": _encode(["z" * 1000] * 100),
        "metadata": "{}",
    }
    path = tmp_path / "lcb.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    with pytest.raises(SourceError, match=r"lcb\.jsonl:1: field 'private_test_cases'.*5000"):
        list(livecodebench.load(path))
