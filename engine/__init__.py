"""judgeflow engine: job spec, streaming task graph, checkpoints, scoring, report, CLI."""
