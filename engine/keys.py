"""Content-addressed keys: the same call always gets the same key, so resume and reuse are exact."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from providers.base import ChatRequest


def stable_hash(obj: Any, length: int = 32) -> str:
    """Hex digest of a JSON-able object, independent of dict order."""
    data = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(data).hexdigest()[:length]


def request_key(
    provider: str,
    request: ChatRequest,
    sample_index: int,
    adjusted: Mapping[str, Any] | None = None,
) -> str:
    """hash(provider, model, messages, decoding options, sample index), plus the values the
    model table sends that the options do not ask for (`Provider.adjustments`), when there
    are any: a request whose body the table changes is new work; any other keeps its key."""
    key: dict[str, Any] = {
        "provider": provider,
        "model": request.model,
        "messages": [(m.role, m.content) for m in request.messages],
        "params": request.options.as_dict(),
        "sample": sample_index,
    }
    if adjusted:
        key["adjusted"] = dict(adjusted)
    return stable_hash(key)


def with_adjustments(
    fingerprint: Mapping[str, Any], adjusted: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A judge's fingerprint with what the model table changes in its requests (if anything),
    so its judgments get new keys exactly when what is sent changes."""
    return {**fingerprint, "adjusted": dict(adjusted)} if adjusted else fingerprint


def judgment_key(
    judge_name: str,
    provider: str,
    fingerprint: Mapping[str, Any],
    pair: Mapping[str, Any],
    order: str,
) -> str:
    """One judge call in one order on one pair (content included, so an edited pair is new work)."""
    return stable_hash(
        {
            "judge": judge_name,
            "provider": provider,
            "fingerprint": fingerprint,
            "pair": [pair["pair_id"], pair["question"], pair["response_A"], pair["response_B"]],
            "order": order,
        }
    )


class JudgmentKeys:
    """`judgment_key` of one judge, with the fingerprint (template text and all) serialised
    once rather than twice per pair: the bytes hashed, and so the keys, are those of
    `judgment_key` exactly (tests/engine/test_keys_stable.py)."""

    def __init__(self, judge_name: str, provider: str, fingerprint: Mapping[str, Any]) -> None:
        # stable_hash sorts the keys: fingerprint, judge, order, pair, provider.
        fp = orjson.dumps(fingerprint, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        head = b'{"fingerprint":' + fp + b',"judge":' + orjson.dumps(judge_name) + b',"order":'
        # The hash of everything before the order, taken once: each key hashes only the rest.
        self._head = hashlib.sha256(head)
        self._tail = b',"provider":' + orjson.dumps(provider) + b"}"

    @staticmethod
    def pair_part(pair_id: str, question: str, response_a: str, response_b: str) -> bytes:
        """A pair's share of its keys, serialised once for every judge and order."""
        return orjson.dumps([pair_id, question, response_a, response_b])

    def key(self, pair_part: bytes, order: str) -> str:
        h = self._head.copy()
        h.update(b"".join((orjson.dumps(order), b',"pair":', pair_part, self._tail)))
        return h.hexdigest()[:32]


def meta_judgment_key(fingerprint: Mapping[str, Any], judgment_key: str) -> str:
    """The meta-judge's call on one judgment: its settings and the judgment's own key (which
    already covers the judge, the pair's content and the order)."""
    return stable_hash({"meta_judge": fingerprint, "judgment": judgment_key})


def answer_score_key(
    judge_name: str, provider: str, fingerprint: Mapping[str, Any], question: str, answer: str
) -> str:
    """One answer scored alone by an order-free judge: no pair, no order, so every pair and
    order that shows this answer to this question shares the one paid score."""
    return stable_hash(
        {
            "judge": judge_name,
            "provider": provider,
            "fingerprint": fingerprint,
            "question": question,
            "answer": answer,
        }
    )
