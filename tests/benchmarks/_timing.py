"""Timing helpers for benchmarks: interleaved runs, medians, ratios from one run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def median_times(
    candidates: dict[str, Callable[[], object]],
    *,
    repeat: int = 7,
    setup: Callable[[], object] | None = None,
) -> dict[str, float]:
    """Median wall time of each candidate; runs are interleaved so noise hits all alike.

    ``setup`` runs before every timed run, outside the timing.
    """
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeat):
        for name, run in candidates.items():
            if setup is not None:
                setup()
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def python_process(code: str) -> Callable[[], object]:
    """A callable that runs ``code`` in a fresh Python process."""
    return lambda: subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def report(title: str, times: dict[str, float], *, baseline: str) -> dict[str, float]:
    """Print absolute times and ratios against ``baseline``; return the ratios."""
    base = times[baseline]
    print(f"\n{title}")
    ratios = {}
    for name, value in times.items():
        ratios[name] = value / base
        print(f"  {name:<44} {value * 1000:10.1f} ms   ratio {ratios[name]:6.3f}")
    return ratios
