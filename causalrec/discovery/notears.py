"""Linear NOTEARS (Zheng et al., 2018), written on a covariance matrix.

The reference solver (``notears/linear.py``) minimises, for data ``X`` (n, d) centred,

    F(W) = ½/n ‖X − X W‖²_F + λ ‖W‖₁   subject to   h(W) = 0,

by an augmented Lagrangian: each inner problem ``F(W) + ρ/2 h(W)² + α h(W)`` is solved
with L-BFGS-B on ``W = W⁺ − W⁻`` (``W^± ≥ 0``, diagonals held at 0 by bounds, so the
L1 term is linear); if the new ``h`` is not below a quarter of the previous one, ρ is
multiplied by 10 and the inner problem solved again from the same start; then
``α ← α + ρ h``; stop when ``h ≤ h_tol`` (1e-8) or ``ρ ≥ ρ_max`` (1e16); finally entries
with ``|W_ij| < 0.3`` are set to 0.  This module does exactly that, with two changes
that do not alter the result:

* The least-squares loss only needs ``S = XᵀX / n``:
  ``½/n ‖X − XW‖²_F = ½ tr((I − W)ᵀ S (I − W))`` with gradient ``−S (I − W)``, so the
  solver takes data *or* a covariance (e.g. the population covariance of an SEM, or the
  positional covariance of eq. 7) and each evaluation costs O(d³), not O(n d²).
* ``h`` is any acyclicity function of :mod:`causalrec.discovery.acyclicity`
  (``"expm"`` = NOTEARS, ``"poly"``, ``"logdet"``, ``"spectral"``), evaluated with its
  gradient through torch in float64.  For ``"expm"`` the default ``h_backend="auto"``
  uses ``scipy.linalg.expm`` (as the reference; ≈ 10× faster than a torch call at d = 20);
  ``h_backend="torch"`` forces the package's function.

``"logdet"`` is +inf outside its domain ``s > ρ(W∘W)`` (the start ``W = 0`` is inside).
L-BFGS-B's line search does not recover from such a trial point (it stops where it
is), so an inner solve that met one is resumed from where it stopped with the variables
scaled by 10 (a 10× shorter first step), up to 4 times.  For the other functions this
never triggers and the iterations are those of the reference.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from causalrec.discovery.acyclicity import ACYCLICITY

__all__ = ["NotearsResult", "acyclicity_value_and_grad", "notears_linear"]

logger = logging.getLogger(__name__)

# Objective reported where h is +inf (logdet outside its domain); finite, so that
# L-BFGS-B's interpolation never meets inf - inf.
_OUTSIDE_DOMAIN = 1e30
_DOMAIN_RETRIES = 4


def _scaled(objective, u: np.ndarray, scale: float) -> tuple[float, np.ndarray]:
    """``objective`` in the variables ``u = scale · w`` (value, gradient in u)."""
    value, grad = objective(u / scale)
    return value, grad / scale


@dataclass
class NotearsResult:
    """What :func:`notears_linear` found.

    Attributes:
        W_est: thresholded weighted adjacency (d, d), ``W_est[i, j] ≠ 0`` ⇔ ``i → j``.
        W_raw: the solution before thresholding.
        h: acyclicity of ``W_raw`` at the end (of the chosen kind).
        rho, alpha: final penalty weight and multiplier.
        outer_iterations: dual updates made; ``inner_solves``: L-BFGS-B runs;
        evaluations: objective evaluations (one h and its gradient each).
        converged: ``h ≤ h_tol`` (False: stopped at ρ_max or max_iter).
        seconds: wall time of the fit; ``cpu_seconds``: CPU time of this process during it
            (equal to ``seconds`` on an idle machine with one thread).
        history: one record per dual update (``rho``, ``alpha``, ``h``, ``loss``).
    """

    W_est: np.ndarray
    W_raw: np.ndarray
    h: float
    rho: float
    alpha: float
    outer_iterations: int
    inner_solves: int
    evaluations: int
    converged: bool
    seconds: float
    cpu_seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def acyclicity_value_and_grad(W: np.ndarray, kind: str = "expm", backend: str = "auto",
                              **acyclicity_kw: Any) -> tuple[float, np.ndarray]:
    """``h(W)`` and ``∇h(W)`` (d, d) for one of :data:`~causalrec.discovery.ACYCLICITY`.

    ``backend="torch"`` evaluates the package's function in float64 and back-propagates;
    ``"auto"`` does the same except for ``"expm"`` without keywords, which uses
    ``scipy.linalg.expm`` and the closed form ``∇h = exp(W∘W)ᵀ ∘ 2W`` (the reference code).
    """
    if kind not in ACYCLICITY:
        raise ValueError(f"unknown acyclicity kind {kind!r}; valid kinds: {', '.join(ACYCLICITY)}")
    if backend not in ("auto", "torch"):
        raise ValueError(f"backend must be 'auto' or 'torch', got {backend!r}")
    if backend == "auto" and kind == "expm" and not acyclicity_kw:
        import scipy.linalg  # imported here: ~0.3 s that `import causalrec` should not pay

        E = scipy.linalg.expm(W * W)
        h = float(np.trace(E) - W.shape[0])
        if not math.isfinite(h):
            return math.inf, np.zeros_like(W)
        return h, E.T * W * 2
    W_t = torch.from_numpy(np.array(W, dtype=np.float64)).requires_grad_(True)
    h_t = ACYCLICITY[kind](W_t, **acyclicity_kw)
    if not torch.isfinite(h_t):
        return math.inf, np.zeros_like(W)
    h_t.backward()
    return float(h_t.detach()), W_t.grad.numpy()


def _second_moment(X: np.ndarray | None, cov: np.ndarray | None) -> np.ndarray:
    if (X is None) == (cov is None):
        raise ValueError("notears_linear needs exactly one of X (data, (n, d)) or cov (a (d, d) covariance)")
    if cov is not None:
        S = np.asarray(cov, dtype=float)
        if S.ndim != 2 or S.shape[0] != S.shape[1]:
            raise ValueError(f"cov must be a square (d, d) matrix, got shape {S.shape}")
        if not np.allclose(S, S.T, atol=1e-10 * max(1.0, np.abs(S).max())):
            raise ValueError("cov must be symmetric")
        return S
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be data of shape (n, d) with n >= 2, got shape {X.shape}")
    Xc = X - X.mean(axis=0, keepdims=True)  # the reference centres X for the l2 loss
    return Xc.T @ Xc / X.shape[0]


def notears_linear(X: np.ndarray | None = None, *, cov: np.ndarray | None = None, lambda1: float = 0.1,
                   acyclicity: str = "expm", max_iter: int = 100, h_tol: float = 1e-8,
                   rho_max: float = 1e16, w_threshold: float = 0.3, h_backend: str = "auto",
                   acyclicity_kw: dict[str, Any] | None = None) -> NotearsResult:
    """Linear NOTEARS with the least-squares loss (reference defaults).

    Args:
        X: data (n, d) (centred here), or
        cov: a (d, d) covariance / second-moment matrix ``S`` used as is.
        lambda1: L1 weight λ (reference 0.1).
        acyclicity: ``"expm"`` (NOTEARS), ``"poly"``, ``"logdet"`` or ``"spectral"``.
        max_iter: maximum number of dual (α) updates.
        h_tol, rho_max: stop once ``h ≤ h_tol`` or ``ρ ≥ rho_max``.
        w_threshold: final threshold on ``|W|`` (reference 0.3).
        h_backend: see :func:`acyclicity_value_and_grad`.
        acyclicity_kw: keywords of the acyclicity function (``s`` for logdet, ``iters``
            for spectral).

    Returns:
        A :class:`NotearsResult`; ``result.W_est`` is the thresholded graph.
    """
    import scipy.optimize  # imported here: ~0.3 s that `import causalrec` should not pay

    start, cpu_start = time.perf_counter(), time.process_time()
    S = _second_moment(X, cov)
    d = S.shape[0]
    kw = dict(acyclicity_kw or {})
    h_and_grad = lambda W: acyclicity_value_and_grad(W, acyclicity, h_backend, **kw)  # noqa: E731
    eye = np.eye(d)
    evaluations = 0

    def adj(w: np.ndarray) -> np.ndarray:
        return (w[: d * d] - w[d * d:]).reshape(d, d)

    def loss_and_grad(W: np.ndarray) -> tuple[float, np.ndarray]:
        R = eye - W
        SR = S @ R  # (d, d)
        return 0.5 * float((R * SR).sum()), -SR  # ½ tr(Rᵀ S R), −S R

    outside_domain = False

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evaluations, outside_domain
        evaluations += 1
        W = adj(w)
        h, grad_h = h_and_grad(W)
        if not math.isfinite(h):
            outside_domain = True
            return _OUTSIDE_DOMAIN, np.zeros_like(w)
        loss, grad_loss = loss_and_grad(W)
        value = loss + 0.5 * rho * h * h + alpha * h + lambda1 * w.sum()
        grad_smooth = grad_loss + (rho * h + alpha) * grad_h
        return value, np.concatenate([(grad_smooth + lambda1).ravel(), (-grad_smooth + lambda1).ravel()])

    def inner_solve(w_start: np.ndarray) -> np.ndarray:
        """L-BFGS-B on the current subproblem.  If a trial point left h's domain
        (logdet), the line search gives up there: solve again from where it stopped with
        the variables scaled by 10 (a 10× shorter first step), up to 4 times."""
        nonlocal outside_domain
        w, scale = w_start, 1.0
        for _ in range(_DOMAIN_RETRIES + 1):
            outside_domain = False
            solution = scipy.optimize.minimize(
                lambda u, c=scale: _scaled(objective, u, c), w * scale,
                method="L-BFGS-B", jac=True, bounds=bounds,
            )
            w = solution.x / scale
            if not outside_domain:
                break
            scale *= 10.0
        return w

    w_est, rho, alpha, h = np.zeros(2 * d * d), 1.0, 0.0, math.inf
    bounds = [(0, 0) if i == j else (0, None) for _ in range(2) for i in range(d) for j in range(d)]
    history: list[dict[str, float]] = []
    outer, inner = 0, 0
    for _ in range(max_iter):
        w_new, h_new = w_est, h
        while rho < rho_max:
            w_new = inner_solve(w_est)
            inner += 1
            h_new, _ = h_and_grad(adj(w_new))
            if h_new > 0.25 * h:
                rho *= 10
            else:
                break
        w_est, h = w_new, h_new
        alpha += rho * h
        outer += 1
        history.append({"rho": rho, "alpha": alpha, "h": h, "loss": loss_and_grad(adj(w_est))[0]})
        logger.debug("notears: rho=%.3g alpha=%.3g h=%.3g", rho, alpha, h)
        if h <= h_tol or rho >= rho_max:
            break
    W_raw = adj(w_est)
    W_est = W_raw.copy()
    W_est[np.abs(W_est) < w_threshold] = 0
    return NotearsResult(
        W_est=W_est, W_raw=W_raw, h=float(h), rho=float(rho), alpha=float(alpha),
        outer_iterations=outer, inner_solves=inner, evaluations=evaluations,
        converged=bool(h <= h_tol), seconds=time.perf_counter() - start,
        cpu_seconds=time.process_time() - cpu_start, history=history,
    )
