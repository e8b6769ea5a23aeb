"""Random DAGs, linear SEM data and structure-recovery metrics (NOTEARS conventions).

The conventions are those of the reference NOTEARS code (Zheng et al., 2018,
``notears/utils.py``), so that numbers measured here can be compared with the
literature:

* ``B`` / ``W`` are (d, d) with ``B[i, j] ≠ 0`` meaning an edge ``i → j``; samples are
  rows of ``X`` (n, d) and ``X = X W + N`` (the same convention as
  :mod:`causalrec.discovery.dag_target`).
* ``"ER"`` graphs have exactly ``s0`` edges: an Erdős–Rényi G(d, s0) skeleton oriented
  along a random order.  ``"SF"`` graphs grow by preferential attachment (Barabási–
  Albert, as ``igraph.Graph.Barabasi(d, m=round(s0/d), directed=True)``: each new node
  sends edges to earlier nodes chosen with probability ∝ in-degree + 1), except that the
  number of edges is also exactly ``s0`` (igraph's graphs fall short by ``m(m+1)/2``:
  the first nodes cannot have ``m`` earlier targets; the deficit goes to the last nodes).
  Both are then randomly permuted.  "ER2" / "SF2" in the literature mean ``s0 = 2d``.
* Edge weights are uniform on ``[−2, −0.5] ∪ [0.5, 2]``.
* Noise is Gaussian, exponential or Gumbel with scale 1 for every node ("equal
  variance") unless per-node ``noise_scale`` is given.  The population covariance of a
  Gaussian SEM is ``(I − W)^{−ᵀ} diag(σ²) (I − W)^{−1}``.

Metrics follow ``count_accuracy`` of the reference: FDR = (reversed + false) / predicted,
TPR = true / condition, FPR = (reversed + false) / condition negatives, SHD = extra +
missing skeleton edges + reversed edges (a reversed edge counts once), ``nnz`` = number
of predicted edges.  An estimate with a directed cycle is never silently scored:
:func:`count_accuracy` raises :class:`NotADAGError` unless ``allow_cyclic=True``, and
its result always carries ``is_dag``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "GRAPH_TYPES",
    "SEM_TYPES",
    "NotADAGError",
    "count_accuracy",
    "is_dag",
    "population_covariance",
    "scale_to_unit_variance",
    "simulate_dag",
    "simulate_linear_sem",
    "simulate_parameter",
    "topological_order",
    "varsortability",
]

GRAPH_TYPES: tuple[str, ...] = ("ER", "SF")
SEM_TYPES: tuple[str, ...] = ("gauss", "exp", "gumbel")
# Var(noise) / scale² for each noise family (Gumbel: π²/6).
_NOISE_VARIANCE = {"gauss": 1.0, "exp": 1.0, "gumbel": math.pi**2 / 6}


class NotADAGError(ValueError):
    """An estimated graph has a directed cycle, so DAG metrics do not apply."""


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check_square(W: np.ndarray, name: str) -> np.ndarray:
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {W.shape}")
    return W


def topological_order(W: np.ndarray) -> list[int] | None:
    """A topological order of the graph ``W != 0`` (Kahn's algorithm), or None if cyclic.

    Self-loops count as cycles.
    """
    A = _check_square(W, "W") != 0
    indegree = A.sum(axis=0).astype(int)
    ready = [j for j in range(A.shape[0]) if indegree[j] == 0]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for j in np.flatnonzero(A[i]):
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(int(j))
    return order if len(order) == A.shape[0] else None


def is_dag(W: np.ndarray) -> bool:
    """True iff the graph of ``W`` (``W[i, j] ≠ 0`` ⇔ ``i → j``) has no directed cycle."""
    return topological_order(W) is not None


def _permute(B: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    perm = rng.permutation(B.shape[0])
    return B[np.ix_(perm, perm)]


def _scale_free(d: int, s0: int, rng: np.random.Generator) -> np.ndarray:
    """Directed Barabási–Albert graph with exactly ``s0`` edges, new → earlier nodes."""
    m = max(1, int(round(s0 / d)))
    # out-degree of node i (i earlier nodes available): m, capped at i, then the
    # deficit (or surplus) spread over the last nodes so that the total is exactly s0
    k = np.minimum(np.arange(d), m)
    gap = s0 - int(k.sum())
    while gap > 0:  # too few edges: one more from each of the last nodes (node i has i targets)
        for i in range(d - 1, 0, -1):
            if gap > 0 and k[i] < i:
                k[i] += 1
                gap -= 1
    for floor in (1, 0):  # too many (s0 < d − 1): the last nodes send fewer, first down to 1
        for i in range(d - 1, 0, -1):
            step = min(-gap, int(k[i]) - floor) if gap < 0 else 0
            k[i] -= max(step, 0)
            gap += max(step, 0)
    B = np.zeros((d, d))
    indegree = np.zeros(d)
    for i in range(1, d):
        weights = indegree[:i] + 1.0
        targets = rng.choice(i, size=int(k[i]), replace=False, p=weights / weights.sum())
        B[i, targets] = 1.0
        indegree[targets] += 1
    return B


def simulate_dag(d: int, s0: int, graph_type: str = "ER", seed: int | np.random.Generator | None = None
                 ) -> np.ndarray:
    """A random binary DAG adjacency (d, d) with exactly ``s0`` edges.

    Args:
        d: number of nodes.
        s0: number of edges, ``0 ≤ s0 ≤ d(d−1)/2`` (``2d`` for "ER2" / "SF2").
        graph_type: ``"ER"`` (Erdős–Rényi G(d, s0)) or ``"SF"`` (scale-free).
        seed: an int, ``None`` or a ``numpy.random.Generator``.
    """
    if graph_type not in GRAPH_TYPES:
        raise ValueError(f"unknown graph_type {graph_type!r}; valid types: {', '.join(GRAPH_TYPES)}")
    if d < 1:
        raise ValueError(f"simulate_dag needs d >= 1, got d={d}")
    max_edges = d * (d - 1) // 2
    if not 0 <= s0 <= max_edges:
        raise ValueError(f"s0 must be between 0 and d(d-1)/2 = {max_edges} for d={d}, got s0={s0}")
    rng = _rng(seed)
    if graph_type == "ER":
        rows, cols = np.tril_indices(d, k=-1)
        chosen = rng.choice(rows.size, size=s0, replace=False)
        B = np.zeros((d, d))
        B[rows[chosen], cols[chosen]] = 1.0  # lower triangle: an edge from a later to an earlier index
    else:
        B = _scale_free(d, s0, rng)
    return _permute(B, rng)


def simulate_parameter(B: np.ndarray, w_ranges: tuple[tuple[float, float], ...] = ((-2.0, -0.5), (0.5, 2.0)),
                       seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Edge weights for the binary DAG ``B``: each edge uniform on one of ``w_ranges``
    (chosen uniformly), by default ``±[0.5, 2]``."""
    B = _check_square(B, "B")
    rng = _rng(seed)
    which = rng.integers(len(w_ranges), size=B.shape)
    W = np.zeros(B.shape)
    for i, (low, high) in enumerate(w_ranges):
        W += (B != 0) * (which == i) * rng.uniform(low, high, size=B.shape)
    return W


def _scale_vector(noise_scale: float | np.ndarray | None, d: int) -> np.ndarray:
    if noise_scale is None:
        return np.ones(d)
    scale = np.broadcast_to(np.asarray(noise_scale, dtype=float), (d,)).copy()
    if not np.all(scale > 0):
        raise ValueError(f"noise_scale must be positive, got {noise_scale}")
    return scale


def simulate_linear_sem(W: np.ndarray, n: int, sem_type: str = "gauss",
                        noise_scale: float | np.ndarray | None = None,
                        seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Samples (n, d) of the linear SEM ``X = X W + N``, nodes drawn in topological order.

    ``sem_type`` is ``"gauss"``, ``"exp"`` or ``"gumbel"``; ``noise_scale`` (a scalar or
    one value per node) is the noise's scale parameter (the standard deviation for
    Gaussian and exponential noise), 1 for every node by default (equal variance).
    """
    W = _check_square(W, "W")
    if sem_type not in SEM_TYPES:
        raise ValueError(f"unknown sem_type {sem_type!r}; valid types: {', '.join(SEM_TYPES)}")
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer (use population_covariance for n = ∞), got {n}")
    order = topological_order(W)
    if order is None:
        raise NotADAGError("W must be the weighted adjacency of a DAG; it has a directed cycle")
    d = W.shape[0]
    scale = _scale_vector(noise_scale, d)
    rng = _rng(seed)
    X = np.zeros((int(n), d))
    for j in order:
        if sem_type == "gauss":
            noise = rng.normal(scale=scale[j], size=int(n))
        elif sem_type == "exp":
            noise = rng.exponential(scale=scale[j], size=int(n))
        else:
            noise = rng.gumbel(scale=scale[j], size=int(n))
        X[:, j] = X @ W[:, j] + noise  # columns not yet drawn are 0 and W[parents, j] is all that counts
    return X


def population_covariance(W: np.ndarray, noise_scale: float | np.ndarray | None = None,
                          sem_type: str = "gauss") -> np.ndarray:
    """``Cov(X) = (I − W)^{−ᵀ} Σ (I − W)^{−1}`` with ``Σ = diag(Var(noise))`` (n = ∞).

    ``Var(noise_j) = scale_j²`` for Gaussian and exponential noise, ``π² scale_j² / 6``
    for Gumbel noise.
    """
    W = _check_square(W, "W")
    if sem_type not in SEM_TYPES:
        raise ValueError(f"unknown sem_type {sem_type!r}; valid types: {', '.join(SEM_TYPES)}")
    d = W.shape[0]
    variance = _NOISE_VARIANCE[sem_type] * _scale_vector(noise_scale, d) ** 2
    inv = np.linalg.inv(np.eye(d) - W)  # (d, d)
    return inv.T @ np.diag(variance) @ inv


def scale_to_unit_variance(X: np.ndarray) -> np.ndarray:
    """Each column centred and divided by its standard deviation (the "standardised data"
    of the NOTEARS critiques: it removes the variance ordering a DAG leaves in raw data)."""
    X = np.asarray(X, dtype=float)
    std = X.std(axis=0)
    if np.any(std == 0):
        raise ValueError("a column of X is constant; it cannot be scaled to unit variance")
    return (X - X.mean(axis=0)) / std


def count_accuracy(B_true: np.ndarray, B_est: np.ndarray, *, allow_cyclic: bool = False) -> dict:
    """Structure-recovery metrics of the reference ``count_accuracy`` (binary graphs).

    Args:
        B_true: true graph, (d, d), nonzero = edge.
        B_est: estimated graph, (d, d), nonzero = edge (weights are binarised).
        allow_cyclic: score an estimate with a directed cycle anyway (its result then
            says ``is_dag: False``); by default such an estimate raises :class:`NotADAGError`.

    Returns:
        ``{"fdr", "tpr", "fpr", "shd", "nnz", "is_dag"}``; SHD counts a reversed edge once.
    """
    B_true = _check_square(B_true, "B_true") != 0
    B_est = _check_square(B_est, "B_est") != 0
    if B_true.shape != B_est.shape:
        raise ValueError(f"B_true and B_est must have the same shape, got {B_true.shape} and {B_est.shape}")
    if not is_dag(B_true):
        raise NotADAGError("B_true has a directed cycle")
    dag = is_dag(B_est)
    if not dag and not allow_cyclic:
        raise NotADAGError("B_est has a directed cycle: it is not a DAG, so it is not scored "
                           "(pass allow_cyclic=True to score it anyway)")
    d = B_true.shape[0]
    pred = np.flatnonzero(B_est)
    cond = np.flatnonzero(B_true)
    cond_reversed = np.flatnonzero(B_true.T)
    cond_skeleton = np.concatenate([cond, cond_reversed])
    true_pos = np.intersect1d(pred, cond, assume_unique=True)
    false_pos = np.setdiff1d(pred, cond_skeleton, assume_unique=True)
    extra = np.setdiff1d(pred, cond, assume_unique=True)
    reverse = np.intersect1d(extra, cond_reversed, assume_unique=True)
    cond_neg_size = 0.5 * d * (d - 1) - len(cond)
    # skeletons as lower-triangular index sets
    pred_lower = np.flatnonzero(np.tril(B_est | B_est.T))
    cond_lower = np.flatnonzero(np.tril(B_true | B_true.T))
    extra_lower = np.setdiff1d(pred_lower, cond_lower, assume_unique=True)
    missing_lower = np.setdiff1d(cond_lower, pred_lower, assume_unique=True)
    return {
        "fdr": float(len(reverse) + len(false_pos)) / max(len(pred), 1),
        "tpr": float(len(true_pos)) / max(len(cond), 1),
        "fpr": float(len(reverse) + len(false_pos)) / max(cond_neg_size, 1),
        "shd": int(len(extra_lower) + len(missing_lower) + len(reverse)),
        "nnz": int(len(pred)),
        "is_dag": dag,
    }


def varsortability(X: np.ndarray, W: np.ndarray, tol: float = 1e-9, *, covariance: bool = False) -> float:
    """Fraction of directed paths along which the marginal variance increases.

    Reisach, Seiler & Weichwald (NeurIPS 2021): over ``k = 1 … d−1``, every ordered pair
    ``(i, j)`` joined by a directed path of length ``k`` counts once for that ``k``; it is
    "sorted" if ``Var(x_j) > Var(x_i)`` (ties, within ``tol`` relative, count ½).  1 means
    that sorting the variables by variance recovers a causal order; 0.5 is chance.

    Args:
        X: data (n, d), or a (d, d) covariance matrix if ``covariance=True``.
        W: the true graph (d, d), nonzero = edge.

    Returns NaN for a graph without edges.
    """
    W = _check_square(W, "W")
    X = np.asarray(X, dtype=float)
    d = W.shape[0]
    if covariance:
        if X.shape != (d, d):
            raise ValueError(f"covariance must have shape ({d}, {d}), got {X.shape}")
        var = np.diag(X).copy()
    else:
        if X.ndim != 2 or X.shape[1] != d:
            raise ValueError(f"X must be data of shape (n, {d}), got {X.shape}")
        var = X.var(axis=0)
    E = W != 0
    ratio = var[None, :] / var[:, None]  # ratio[i, j] = Var(x_j) / Var(x_i)
    Ek = E.copy()
    paths, sorted_paths = 0, 0.0
    for _ in range(d - 1):
        paths += int(Ek.sum())
        sorted_paths += float((Ek & (ratio > 1 + tol)).sum())
        sorted_paths += 0.5 * float((Ek & (ratio <= 1 + tol) & (ratio > 1 - tol)).sum())
        Ek = (Ek.astype(np.int64) @ E.astype(np.int64)) > 0
    return sorted_paths / paths if paths else math.nan
