"""The benchmark report: each figure next to its floor and as a ratio to it, checked against the targets,
written as JSON (the data) and Markdown (for people) under bench/results/."""

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Target:
    text: str
    metric: str  # "c1.p95_ms" for requests; "seconds" for batch runs
    limit: float
    max_ratio: float | None = None  # a batch's time: at most this many times its floor (judged at any scale)


# The targets at scale 1 on the 2-core reference machine (the list).
TARGETS = {
    "calendar_week": Target("p95 under 150 ms", "c1.p95_ms", 150),
    "chart": Target("p95 under 150 ms", "c1.p95_ms", 150),
    "fee_quote": Target("p95 under 20 ms", "c1.p95_ms", 20),
    "series_book": Target("12-week series under 300 ms (p95)", "c1.p95_ms", 300),
    "reminders": Target("10,000 reminders under 2 minutes", "seconds", 120),
    "statements": Target(
        "statement run for 10,000 patients under 5 minutes, at most 10× its floor", "seconds", 300, max_ratio=10
    ),
}


def _metric(operation: dict, path: str) -> float:
    value = operation
    for part in path.split("."):
        value = value[part]
    return value


def _ratio(value: float, floor: float) -> float | None:
    return round(value / floor, 1) if floor else None


def http_floor(sql: dict, http: dict) -> dict:
    """An HTTP operation's floor: the bare gunicorn round trip plus the hand-written query, in sequence."""
    rps = 1 / (1 / http["c8_rps"] + 1 / sql["c8_rps"]) if http["c8_rps"] and sql["c8_rps"] else 0
    return {
        "p50_ms": round(http["c1"]["p50_ms"] + sql["c1"]["p50_ms"], 2),
        "p95_ms": round(http["c1"]["p95_ms"] + sql["c1"]["p95_ms"], 2),
        "rps": round(rps, 1),
    }


def ratios(operation: dict) -> dict:
    """How many times its floor each figure is (throughput: how many times fewer requests per second)."""
    floor = operation["floor"]
    if operation["kind"] == "batch":
        return {"time": _ratio(operation["seconds"], floor["seconds"])}
    return {
        "p50": _ratio(operation["c1"]["p50_ms"], floor["p50_ms"]),
        "p95": _ratio(operation["c1"]["p95_ms"], floor["p95_ms"]),
        "throughput": _ratio(floor["rps"], operation["c8"]["rps"]),
    }


def verdict(operation: dict) -> dict | None:
    target = TARGETS.get(operation["key"])
    if target is None:
        return None
    value = _metric(operation, target.metric)
    ratio = operation["ratio"].get("time")
    if target.max_ratio is not None and (ratio is None or ratio > target.max_ratio):
        return {"text": target.text, "value": value, "met": False}  # too far above its floor at any scale
    if operation.get("scaled_down"):  # a smoke run's batch is smaller than the target's
        return {"text": target.text, "value": value, "met": None}
    return {"text": target.text, "value": value, "met": value < target.limit}


def finish(results: dict) -> dict:
    """Add ratios and target verdicts to every operation."""
    for operation in results["operations"]:
        operation["ratio"] = ratios(operation)
        operation["target"] = verdict(operation)
    return results


def _met(operation: dict) -> str:
    target = operation.get("target")
    if target is None:
        return "–"
    if target["met"] is None:
        return f"not judged: smaller than the target's batch ({target['text']})"
    return f"{'met' if target['met'] else '**missed**'} ({target['text']})"


def _x(value) -> str:
    return "–" if value is None else f"{value:g}×"


def markdown(results: dict) -> str:
    run = results["run"]
    lines = [
        f"# Benchmark {run['started_at']}",
        "",
        f"Scale {run['scale']:g}: {run['dataset']}. Host: {run['host']}. Commit {run['commit']}.",
        f"App: `{run['gunicorn']}` with production settings. Load averages at the start: {run['load_before']}.",
        "",
        "Latency at concurrency 1 (median and p95, ms); throughput with 8 concurrent clients (requests/s);",
        "queries per request counted in-process on the same database. The floor of a request is a bare WSGI",
        "hello-world under the same gunicorn plus one hand-written SQL query returning the same rows;",
        "`×floor` is the figure divided by its floor (throughput: the floor's rate divided by the operation's).",
        "",
        "| Operation | p50 | p95 | ×floor p95 | req/s @8 | ×floor req/s | queries | floor p50 / p95 / req/s | Target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for op in results["operations"]:
        if op["kind"] != "http":
            continue
        floor, ratio = op["floor"], op["ratio"]
        lines.append(
            f"| {op['label']} | {op['c1']['p50_ms']:g} | {op['c1']['p95_ms']:g} | {_x(ratio['p95'])} "
            f"| {op['c8']['rps']:g} | {_x(ratio['throughput'])} | {op['queries']} "
            f"| {floor['p50_ms']:g} / {floor['p95_ms']:g} / {floor['rps']:g} | {_met(op)} |"
        )
    lines += ["", "| Batch | Time (s) | Rate | Floor (s) | ×floor | Target |"]
    lines += ["| --- | ---: | --- | ---: | ---: | --- |"]
    for op in results["operations"]:
        if op["kind"] != "batch":
            continue
        lines.append(
            f"| {op['label']} | {op['seconds']:g} | {op['rate']} | {op['floor']['seconds']:g} "
            f"| {_x(op['ratio']['time'])} | {_met(op)} |"
        )
    lines += ["", "## Floors measured in this run", ""]
    for name, floor in results["floors"].items():
        lines.append(f"- {name}: {floor}")
    if results.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


def write(results: dict, directory: Path) -> tuple[Path, Path]:
    """Write `<stamp>.json` and `<stamp>.md`, and the same as latest.json / latest.md."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = results["run"]["started_at"].replace(":", "").replace("-", "")
    text = markdown(results)
    data = json.dumps(results, indent=2, sort_keys=True, default=str) + "\n"
    for name in (stamp, "latest"):
        (directory / f"{name}.json").write_text(data)
        (directory / f"{name}.md").write_text(text)
    return directory / f"{stamp}.json", directory / f"{stamp}.md"
