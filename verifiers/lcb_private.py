"""LiveCodeBench private tests: bounded decoding of base64(zlib(pickle(...))) records.

A record's ``private_test_cases`` is JSON text, or base64 of zlib of a pickle of that
text (or of the list itself). Each step is bounded, because a small record must not be
able to make the engine build something huge:

* zlib output stops at `MAX_PRIVATE_BYTES` (a zlib bomb is refused, not inflated);
* before anything is built, the pickle's opcodes are counted without executing them:
  more than `MAX_PICKLE_OBJECTS` objects or memo references, or any opcode that would
  look up a global or call something, is refused;
* after unpickling, the size of the result counted through every reference (a list that
  holds one long string a million times is a million long strings once it is written
  out) must stay within `MAX_PRIVATE_BYTES` too.

Over a limit, or malformed, the error is a `PrivateTestsError` (a ValueError) saying
which limit; the loader turns it into a source error naming file, line and field.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import pickletools
import zlib
from typing import Any

MAX_PRIVATE_BYTES = 512 << 20
MAX_PICKLE_OBJECTS = 2_000_000
# Opcodes that fetch a global, call, or build an instance: plain data never needs them.
_FORBIDDEN = {
    "GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX",
    "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID", "NEXT_BUFFER", "READONLY_BUFFER",
}  # fmt: skip
# Opcodes that do not create an object or a reference (framing, marks, memo stores...).
_FREE = {"PROTO", "FRAME", "STOP", "MARK", "POP", "POP_MARK", "MEMOIZE", "PUT", "BINPUT"}
_FREE |= {"LONG_BINPUT", "DUP"}


class PrivateTestsError(ValueError):
    """Private tests that are malformed or exceed a decoding limit."""


class _PlainUnpickler(pickle.Unpickler):
    """Admits only what pickle builds without globals: str, bytes, numbers, lists, dicts."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


def _inflate(data: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, max_bytes)
    except zlib.error as exc:
        raise PrivateTestsError(f"not zlib data: {exc}") from None
    if inflater.unconsumed_tail:
        raise PrivateTestsError(f"decompressed private tests exceed {max_bytes} bytes")
    return raw


def _count_objects(raw: bytes, max_objects: int) -> None:
    """Walk the opcodes (nothing is built) and refuse globals and too many objects."""
    count = 0
    try:
        for op, _arg, _pos in pickletools.genops(raw):
            if op.name in _FORBIDDEN:
                raise PrivateTestsError(f"refused pickle opcode {op.name}")
            if op.name not in _FREE:
                count += 1
                if count > max_objects:
                    raise PrivateTestsError(
                        f"private tests build more than {max_objects} objects or references"
                    )
    except PrivateTestsError:
        raise
    except (ValueError, EOFError) as exc:
        raise PrivateTestsError(f"not a valid pickle: {exc}") from None


def _expanded_size(obj: Any, budget: int) -> int:
    """Size of `obj` counted through every reference; stops as soon as it exceeds budget."""
    total, stack = 0, [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, list | tuple):
            total += 8 * len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += 16 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 8
        if total > budget:
            raise PrivateTestsError(f"private tests expand to more than {budget} bytes")
    return total


def decode_private_tests(
    value: str,
    *,
    max_bytes: int | None = None,
    max_objects: int | None = None,
) -> list[dict[str, Any]]:
    """Private tests as JSON text, or base64(zlib(pickle(JSON text or list)))."""
    max_bytes = MAX_PRIVATE_BYTES if max_bytes is None else max_bytes
    max_objects = MAX_PICKLE_OBJECTS if max_objects is None else max_objects
    if not value.strip():
        return []
    if value.lstrip().startswith("["):
        if len(value) > max_bytes:
            raise PrivateTestsError(f"private tests exceed {max_bytes} bytes")
        return parse_tests(_json(value))
    try:
        packed = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise PrivateTestsError(f"not base64: {exc}") from None
    raw = _inflate(packed, max_bytes)
    _count_objects(raw, max_objects)
    try:
        obj = _PlainUnpickler(io.BytesIO(raw)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise PrivateTestsError(f"not a plain pickle: {exc}") from None
    _expanded_size(obj, max_bytes)
    if isinstance(obj, bytes):
        obj = obj.decode("utf-8", "replace")
    return parse_tests(_json(obj) if isinstance(obj, str) else obj)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise PrivateTestsError("private tests nest too deeply") from None


def parse_tests(obj: Any) -> list[dict[str, Any]]:
    """Check and normalise a list of tests: string input and output, a known test type."""
    if not isinstance(obj, list):
        raise PrivateTestsError(f"expected a list of tests, got {type(obj).__name__}")
    tests = []
    for n, t in enumerate(obj):
        if not (isinstance(t, dict) and isinstance(t.get("input"), str)):
            raise ValueError(f"test {n}: expected an object with string 'input' and 'output'")
        if not isinstance(t.get("output"), str):
            raise ValueError(f"test {n}: expected an object with string 'input' and 'output'")
        kind = t.get("testtype", "stdin")
        if kind not in ("stdin", "functional"):
            raise ValueError(f"test {n}: unknown testtype {kind!r}")
        tests.append({"input": t["input"], "output": t["output"], "testtype": kind})
    return tests
