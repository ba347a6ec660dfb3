"""Small timing helpers shared by the benchmark modules."""

import statistics
import time
from collections.abc import Callable


def sample(
    fn: Callable[[], object], *, repeat: int = 200, warmup: int = 10
) -> list[float]:
    """Run fn repeatedly; return the wall times in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def median(times: list[float]) -> float:
    return statistics.median(times)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
