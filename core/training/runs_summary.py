"""What a training run folder says about itself: its config, status, progress and best verification."""

from __future__ import annotations

from pathlib import Path

from core.training.events import read_events

STATUS_OF_LAST = {"done": "done", "cancelled": "cancelled", "error": "failed"}


def summarize_run(run_dir: Path) -> dict:
    """{"config", "status", "summary": {steps, last_loss, best_accuracy, best_bin}} from config.json and events."""
    import json

    run_dir = Path(run_dir)
    try:
        config = json.loads((run_dir / "config.json").read_text())
    except (OSError, ValueError):
        config = {}
    events = read_events(run_dir)
    steps = [e for e in events if e.kind == "step"]
    evals = [e for e in events if e.kind == "eval"]
    last = next((e for e in reversed(events) if e.kind in STATUS_OF_LAST), None)
    if last is not None and last is events[-1]:
        status = STATUS_OF_LAST[last.kind]
    else:  # no final event: still running if it wrote lately, else interrupted (a crash or a kill)
        import time

        log = run_dir / "events.jsonl"
        recent = log.exists() and time.time() - log.stat().st_mtime < 120
        status = "running" if recent else "failed"
    best = max(evals, key=lambda e: e.get("accuracy", 0.0), default=None)
    summary = {"steps": steps[-1].step if steps else 0, "target_steps": config.get("steps"),
               "last_loss": steps[-1].get("loss") if steps else None,
               "best_accuracy": best.get("accuracy") if best else None,
               "best_bin": Path(str(best.get("bin", ""))).name if best else None,
               "backbone": config.get("backbone"), "head": config.get("head"),
               "data": Path(str(config.get("data", ""))).name}
    return {"config": config, "status": status, "summary": summary}
