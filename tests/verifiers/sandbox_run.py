"""One "engine run" for test_sandbox_isolation: a pool of its own verifying programs.

    python -m tests.verifiers.sandbox_run LEVEL good|hostile N OUT.json

Writes the verdicts and the pool's identity (run id, uid block, cgroup folders) to OUT.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import verifiers.sandbox.pool as pool_module
from verifiers import livecodebench
from verifiers.base import Question
from verifiers.sandbox import SandboxPool

GOOD = "import time\nn = int(input())\ntime.sleep(0.05)\nprint(sum(range(n + 1)))"
HOSTILE = [
    "import os, signal\nfor _ in range(50):\n    try:\n        os.kill(-1, signal.SIGKILL)\n"
    "    except OSError:\n        pass\nprint(0)",
    "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    "x = []\nwhile True:\n    x.append(b'x' * (64 << 20))",
    "import time\ntime.sleep(30)",
]


def question(n: int) -> Question:
    return Question(
        id=f"livecodebench:run{n}",
        source="livecodebench",
        task="livecodebench",
        prompt="",
        question="sum",
        ground_truth=[
            {"input": f"{n}\n", "output": f"{n * (n + 1) // 2}\n", "testtype": "stdin"},
            {"input": f"{n + 1}\n", "output": f"{(n + 1) * (n + 2) // 2}\n", "testtype": "stdin"},
        ],
        meta={"n_public": 2, "timeout_s": 2.0, "memory_mb": 256},
    )


def main() -> None:
    level, kind, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    pool = SandboxPool(2, level=level)  # type: ignore[arg-type]
    pool_module._default = pool
    groups = pool.cgroups
    ident = {
        "run_id": pool.run_id,
        "uid_base": pool.uid_base,
        "cgroups": [str(groups.memory), str(groups.pids)] if groups else [],
        "refused": pool.refused,
    }
    codes = [GOOD] * count if kind == "good" else [HOSTILE[n % 4] for n in range(count)]
    with ThreadPoolExecutor(2) as ex:
        verdicts = list(
            ex.map(
                lambda nc: livecodebench.verify(question(nc[0]), f"```python\n{nc[1]}\n```"),
                enumerate(codes),
            )
        )
    pool.close()
    with open(out, "w") as fh:
        json.dump({**ident, "verdicts": [[v.correct, v.reason] for v in verdicts]}, fh)


if __name__ == "__main__":
    main()
