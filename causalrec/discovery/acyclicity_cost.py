"""Cost of the acyclicity functions, measured (the paper's Table 1 states complexities).

:func:`acyclicity_cost` times forward + backward of each function of
:data:`~causalrec.discovery.ACYCLICITY` for one n×n matrix and for a batch of B
matrices (``cov_mode="sequence"`` penalises one per sequence), and fits the slope of
log(seconds) against log(n).  A dense O(n³) method has slope 3 once n is large enough
for the matrix products to dominate; at small n constant overheads flatten the slope.

Inputs are dense random matrices scaled so that ``ρ(W∘W) ≈ 0.5`` (inside the log-det
domain for ``s = 1``; no overflow).  ``torch.matrix_exp`` chooses its Taylor degree and
number of squarings from the norm, so its cost depends on the scale: the timings are
for this scale.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import numpy as np
import torch

from causalrec.discovery.acyclicity import ACYCLICITY

__all__ = ["acyclicity_cost", "fit_loglog_slope", "time_forward_backward"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_forward_backward(kind: str, W: torch.Tensor, *, min_seconds: float = 0.5, max_repeats: int = 5,
                          slow_seconds: float = 2.0) -> list[tuple[float, float]]:
    """``(wall seconds, CPU seconds)`` of ``h = ACYCLICITY[kind](W); h.sum().backward()``
    for each repeat.

    One untimed warm-up call, then repeats until ``min_seconds`` have been spent (at
    least 2, at most ``max_repeats``).  A warm-up slower than ``slow_seconds`` is kept as
    the only measurement (large batches on one CPU thread).  The CPU time of the process
    equals the wall time on an idle machine with one thread; on a shared machine it is the
    better single-thread measure (on CUDA only the wall time means anything).
    """
    fn = ACYCLICITY[kind]
    device = W.device

    def once() -> tuple[float, float]:
        X = W.detach().clone().requires_grad_(True)
        _sync(device)
        start, cpu_start = time.perf_counter(), time.process_time()
        h = fn(X)
        h.sum().backward()
        _sync(device)
        elapsed = (time.perf_counter() - start, time.process_time() - cpu_start)
        if not torch.isfinite(h).all():
            raise RuntimeError(f"h_{kind} is not finite on the timing input (n={W.shape[-1]})")
        return elapsed

    first = once()
    if first[0] > slow_seconds:
        return [first]
    times: list[tuple[float, float]] = []
    while len(times) < max_repeats and (len(times) < 2 or sum(t for t, _ in times) < min_seconds):
        times.append(once())
    return times


def fit_loglog_slope(ns: Sequence[int], seconds: Sequence[float]) -> float:
    """Least-squares slope of log(seconds) on log(n)."""
    if len(ns) < 2:
        return float("nan")
    slope, _ = np.polyfit(np.log(np.asarray(ns, float)), np.log(np.asarray(seconds, float)), 1)
    return float(slope)


def acyclicity_cost(ns: Sequence[int] = (50, 100, 200, 400), batch: int = 256,
                    kinds: Sequence[str] = tuple(ACYCLICITY), *, dtype: torch.dtype = torch.float32,
                    device: str | torch.device = "cpu", seed: int = 0, min_seconds: float = 0.5,
                    max_repeats: int = 5) -> dict:
    """Forward + backward seconds of each acyclicity function, single matrix and batch.

    Returns ``{"rows": [{kind, n, batch, seconds, cpu_seconds (medians), repeats}],
    "slopes": {kind: {"single", "batch", "single_cpu", "batch_cpu"}}, "settings": {...}}``;
    ``batch=1`` rows are the single-matrix timings, ``*_cpu`` slopes use CPU time.
    """
    device = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for n in ns:
        base = torch.randn(batch, n, n, generator=gen, dtype=dtype) * (0.5 / n) ** 0.5  # (B, n, n)
        for kind in kinds:
            for size in (1, batch):
                W = (base[0] if size == 1 else base).to(device=device, dtype=dtype)
                times = time_forward_backward(kind, W, min_seconds=min_seconds, max_repeats=max_repeats)
                rows.append({"kind": kind, "n": n, "batch": size,
                             "seconds": statistics.median(t for t, _ in times),
                             "cpu_seconds": statistics.median(c for _, c in times),
                             "repeats": len(times), "all_seconds": [t for t, _ in times]})
    slopes: dict[str, dict[str, float]] = {}
    for kind in kinds:
        slopes[kind] = {}
        for label, size in (("single", 1), ("batch", batch)):
            sel = [r for r in rows if r["kind"] == kind and r["batch"] == size]
            slopes[kind][label] = fit_loglog_slope([r["n"] for r in sel], [r["seconds"] for r in sel])
            slopes[kind][f"{label}_cpu"] = fit_loglog_slope([r["n"] for r in sel],
                                                            [r["cpu_seconds"] for r in sel])
    return {"rows": rows, "slopes": slopes,
            "settings": {"ns": list(ns), "batch": batch, "kinds": list(kinds), "dtype": str(dtype),
                         "device": str(device), "input": "dense N(0, 0.5/n) entries, rho(W*W) ~ 0.5",
                         "torch_threads": torch.get_num_threads()}}
