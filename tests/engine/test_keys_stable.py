"""Request keys, judgment keys and manifest hashes do not move when the code is reorganised.

The expected values were computed by the code before decoding options became one type
(commit 56b5029): a run folder made then resumes without paying again, and without a
"job changed" refusal. A change that moves one of them breaks every existing run folder.
"""

from __future__ import annotations

from pathlib import Path

from engine import manifest
from engine.jobload import load_job
from engine.judges.registry import create_judge
from engine.keys import JudgmentKeys, judgment_key, request_key
from engine.requests import answer_request, judge_spec

JOB = """\
name: golden
providers:
  p: {type: openai_compatible, base_url: "http://127.0.0.1:1/v1"}
sources:
  - {format: mmlu_pro, path: q.jsonl}
response_model:
  provider: p
  model: m1
  samples: 2
  temperature: 0.7
  max_tokens: 64
  extra: {top_p: 0.9}
  extra_files: {grammar: g.gbnf}
  per_source:
    mmlu_pro: {max_tokens: 32, extra: {top_k: 5}}
    mmlu_pro_task: {temperature: 0.1, response_schema: {type: object}}
solvers:
  - {provider: p, model: s1, seed_per_sample: false}
judges:
  - {name: ah, type: arena_hard, provider: p, model: jm}
  - {name: ah2, type: arena_hard, provider: p, model: jm, temperature: 0.3, params: {followups: 0}}
  - name: v
    type: vanilla
    provider: p
    model: jm
    max_tokens: 5
    extra_files: {grammar: g.gbnf}
    params: {temperature: 0.9, extra: {seed: 1}}
  - {name: ma, type: multi_agent, provider: p, model: jm, params: {rounds: 1}}
  - {name: pr, type: prometheus2, provider: p, model: jm, params: {rubric: "Is it right?"}}
  - {name: rm, type: reward_model, provider: p, model: jm}
"""

REQUEST_KEYS = {
    ("m1", "mmlu_pro", "mmlu_pro", 0): "8dd7106d7680de8084c3c43b688d55bf",
    ("m1", "mmlu_pro", "mmlu_pro", 1): "b82922d77aa7029e82105def22638d0e",
    ("m1", "mmlu_pro", "mmlu_pro_task", 0): "b9e58b06b7e62f05292f0f8ccbac18ff",
    ("m1", "mmlu_pro", "mmlu_pro_task", 1): "1f3cdc972bd4c96fa45fa21f0a9a9bb0",
    ("m1", "livebench", "x", 0): "7cda0203bd2bdc00f680b8ebf8ef7d53",
    ("m1", "livebench", "x", 1): "e7282a551cc3bea9f41d0ebea4aa95c5",
    ("s1", "mmlu_pro", "mmlu_pro", 0): "f86841294c57a7bdb4b2c9cc417dfac8",
    ("s1", "mmlu_pro", "mmlu_pro", 1): "368cff00b8e77e8bf705c019e98e5606",
    ("s1", "livebench", "x", 1): "368cff00b8e77e8bf705c019e98e5606",
}
JUDGMENT_KEYS = {
    "ah": "61c341bc2d8b240e18f523948ea23461",
    "ah2": "9728fe5e462890cf5eabf4d7c3ebf57e",
    "v": "e17347c19e58bcecbca3f9bddefc129f",
    "ma": "374f3fde1c5fb7a3e2878e7b4e551773",
    "pr": "b17c6ee7aa65e965e853b1c9edc973b5",
    "rm": "0fdbd086ee48baa64e39e71da24525c5",
}
MANIFEST_JUDGES = {
    "ah": "a5e044600a607955f28c370c4dd6dd90",
    "ah2": "c6a695a2cf93a244a39ef248273db67f",
    "v": "e8ac7f15186b8f6a9da8bc04fcb3d55b",
    "ma": "f2b03c8419706d08086f9a608e9dfb5e",
    "pr": "b793fd284d19b59769d7ad2bf56cc3cc",
    "rm": "fa31a0ff60f920c8a272a3f1caa54c5c",
}


def _job(tmp_path: Path) -> Path:
    (tmp_path / "job.yaml").write_text(JOB)
    (tmp_path / "g.gbnf").write_text('root ::= "A"\n')
    (tmp_path / "q.jsonl").write_text("")
    return tmp_path / "job.yaml"


def test_answer_request_keys_are_unchanged(tmp_path: Path) -> None:
    loaded = load_job(_job(tmp_path), env={})
    job = loaded.job
    assert job.response_model is not None
    refs = {ref.model: ref for ref in (job.response_model, *job.solvers)}
    for (model, fmt, task, sample), expected in REQUEST_KEYS.items():
        ref = refs[model]
        req = answer_request(
            ref, "PROMPT", fmt, task, loaded.base_dir, job_seed=3, sample_index=sample
        )
        assert request_key(ref.provider, req, sample) == expected, (model, fmt, task, sample)


def test_judgment_keys_are_unchanged(tmp_path: Path) -> None:
    loaded = load_job(_job(tmp_path), env={})
    pair = {"pair_id": "pid", "question": "Q", "response_A": "a", "response_B": "b"}
    for cfg in loaded.job.judges:
        judge = create_judge(judge_spec(cfg, loaded.base_dir))
        key = judgment_key(cfg.name, cfg.provider, judge.fingerprint(), pair, "AB")
        assert key == JUDGMENT_KEYS[cfg.name], cfg.name


def test_the_run_s_key_maker_gives_judgment_key_s_keys(tmp_path: Path) -> None:
    """The judge stage makes keys with `JudgmentKeys` (its fingerprint serialised once);
    they must be `judgment_key`'s, byte for byte, for every judge, order and kind of text."""
    loaded = load_job(_job(tmp_path), env={})
    pairs = [
        {"pair_id": "pid", "question": "Q", "response_A": "a", "response_B": "b"},
        {"pair_id": "é/1", "question": 'q "quoted"\n\tö ✓', "response_A": "", "response_B": "∑"},
    ]
    fingerprints = [
        create_judge(judge_spec(cfg, loaded.base_dir)).fingerprint() for cfg in loaded.job.judges
    ]
    # Nested, unsorted, with a non-string key (orjson's NON_STR_KEYS): the sorted serialisation
    # of the whole key must still agree.
    fingerprints.append({"z": 1, "a": {"y": [1, 2.5, None], "b": True}, "adjusted": {3: "x"}})
    for fp in fingerprints:
        keys = JudgmentKeys("judge-α", "prov", fp)
        for pair in pairs:
            part = JudgmentKeys.pair_part(
                pair["pair_id"], pair["question"], pair["response_A"], pair["response_B"]
            )
            for order in ("AB", "BA"):
                expected = judgment_key("judge-α", "prov", fp, pair, order)
                assert keys.key(part, order) == expected


def test_manifest_hashes_are_unchanged(tmp_path: Path) -> None:
    loaded = load_job(_job(tmp_path), env={})
    built = manifest.build(loaded.job, loaded.path)
    # core_hash and the judges' hashes decide whether a resume is allowed (job_hash changes
    # with any new job setting and is only informative).
    assert built["core_hash"] == "dbc83b077427e12984c2b5c04bdc293d"
    assert built["judges"] == MANIFEST_JUDGES
