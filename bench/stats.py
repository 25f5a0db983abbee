"""Latency and throughput summaries: medians and 95th percentiles in milliseconds, rates per second."""

import math
import statistics
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Latency:
    count: int
    p50_ms: float
    p95_ms: float

    def as_dict(self) -> dict:
        return asdict(self)


def latency_of(seconds: list[float]) -> Latency:
    """Median and nearest-rank 95th percentile of a list of durations in seconds."""
    if not seconds:
        raise ValueError("No samples")
    ordered = sorted(seconds)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return Latency(len(ordered), round(statistics.median(ordered) * 1000, 2), round(p95 * 1000, 2))


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0
