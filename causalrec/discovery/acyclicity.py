"""Smooth acyclicity functions h(W) (paper eq. 8 and its alternatives).

Every function takes a weighted adjacency ``W`` of shape (n, n) or a batch (B, n, n)
and returns a scalar or a (B,) tensor.  All of them work on ``A = W∘W`` (non-negative)
and are 0 exactly when the graph of ``W`` has no directed cycle:

* ``"expm"``    NOTEARS (Zheng et al., 2018), the paper's eq. (8): ``tr(exp(A)) − n``.
* ``"poly"``    DAG-GNN (Yu et al., 2019): ``tr((I + A/n)^n) − n``.
* ``"logdet"``  DAGMA (Bello et al., 2022): ``−log det(sI − A) + n log s``, defined
  only while ``s > ρ(A)`` (spectral radius); outside that domain it returns ``+inf``.
* ``"spectral"`` NO-BEARS (Lee et al., 2019): ``ρ(A)`` estimated by power iteration
  with left and right vectors.

Gradients.  ``expm``, ``poly`` and ``logdet`` are traces/log-determinants whose matrix
gradient is known in closed form (``exp(A)ᵀ``, ``((I + A/n)^{n−1})ᵀ`` and
``(sI − A)^{−ᵀ}``), so each is a small :class:`torch.autograd.Function` that keeps that
matrix from the forward pass.  This avoids differentiating through
``torch.matrix_exp`` (whose backward evaluates the exponential of a 2n×2n block
matrix) or through every product of a matrix power.  These functions support first
derivatives only (enough for training and ``gradcheck``).

Overflow.  ``tr(exp(A))`` grows like ``exp(ρ(A))``: in float32 it overflows once
``ρ(A)`` is above ≈ 88 − log n (float64: ≈ 709 − log n); ``poly`` overflows later
(``(1 + ρ/n)^n ≤ e^ρ``).  This happens with ``dag_target="paper"``, where ``W`` is a
covariance with unit diagonal (``h_expm ≥ n(e − 1)``, up to ``n(e^n − 1)`` for fully
correlated positions).  An overflow is always reported as ``+inf`` (never a silent
NaN or a wrong finite number), so a caller can detect it with ``torch.isfinite``; ``expm`` and
``poly`` return NaN only when ``W`` itself holds NaN.  To postpone overflow, pass
``W.double()``: the gradient flows back through the cast.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import torch
from torch import Tensor

__all__ = [
    "ACYCLICITY",
    "acyclicity",
    "h_expm",
    "h_logdet",
    "h_poly",
    "h_spectral",
]

logger = logging.getLogger(__name__)
_WARNED_BATCHED_LU = False


def _check_square(W: Tensor, name: str = "W") -> int:
    if W.dim() not in (2, 3) or W.shape[-1] != W.shape[-2]:
        raise ValueError(f"{name} must have shape (n, n) or (B, n, n), got {tuple(W.shape)}")
    if not W.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {W.dtype}")
    return W.shape[-1]


def _trace(M: Tensor) -> Tensor:
    return M.diagonal(dim1=-2, dim2=-1).sum(-1)


def _overflow_to_inf(h: Tensor, A: Tensor) -> Tensor:
    """Report a non-finite value from a finite input as +inf (overflow), never NaN."""
    overflow = ~torch.isfinite(h) & torch.isfinite(A).all(dim=-1).all(dim=-1)
    return torch.where(overflow, torch.full_like(h, math.inf), h)


class _TraceExp(torch.autograd.Function):
    """tr(exp(A)) − n with gradient exp(A)ᵀ."""

    @staticmethod
    def forward(ctx, A: Tensor) -> Tensor:
        E = torch.matrix_exp(A)  # (..., n, n)
        h = _overflow_to_inf(_trace(E) - A.shape[-1], A)
        ctx.save_for_backward(E)
        return h

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_h: Tensor) -> Tensor:
        (E,) = ctx.saved_tensors
        return grad_h[..., None, None] * E.mT


class _TracePower(torch.autograd.Function):
    """tr((I + A/n)^n) − n with gradient ((I + A/n)^{n−1})ᵀ."""

    @staticmethod
    def forward(ctx, A: Tensor) -> Tensor:
        n = A.shape[-1]
        eye = torch.eye(n, dtype=A.dtype, device=A.device)
        M = eye + A / n  # (..., n, n)
        P = torch.linalg.matrix_power(M, n - 1)  # repeated squaring, ~2 log2(n) products
        h = (P * M.mT).sum(dim=(-2, -1)) - n  # tr(P M) without forming P M
        ctx.save_for_backward(P)
        return _overflow_to_inf(h, A)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_h: Tensor) -> Tensor:
        (P,) = ctx.saved_tensors
        # d tr(M^n)/dM = n (M^{n-1})ᵀ and dM/dA = I/n.
        return grad_h[..., None, None] * P.mT


def _lu_logdet_inverse(M: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor] | None:
    """log|det M|, sign det M, M⁻¹ and LAPACK info from one LU factorisation.

    On CPU the result is verified (pivots in range, small residual of ``M (M⁻¹ 1) = 1``)
    and ``None`` is returned if it fails: with this build's MKL, batched CPU LU
    factorisations return garbage pivots after ``torch.set_num_threads(k > 1)``.
    """
    n = M.shape[-1]
    LU, pivots, info = torch.linalg.lu_factor_ex(M)
    on_cpu = M.device.type == "cpu"
    if on_cpu and not bool(((pivots >= 1) & (pivots <= n)).all()):
        return None
    diag = LU.diagonal(dim1=-2, dim2=-1)  # (..., n)
    logabsdet = diag.abs().log().sum(-1)
    steps = torch.arange(1, n + 1, device=M.device, dtype=pivots.dtype)
    swaps = (pivots != steps).sum(-1)
    sign = diag.sign().prod(-1) * (1 - 2 * (swaps % 2)).to(M.dtype)
    eye = torch.eye(n, dtype=M.dtype, device=M.device)
    M_inv = torch.linalg.lu_solve(LU, pivots, eye.expand_as(M).contiguous())
    if on_cpu:
        x = M_inv.sum(-1, keepdim=True)  # M⁻¹ 1, (..., n, 1)
        residual = (M @ x - 1).abs()
        bound = 100 * n * torch.finfo(M.dtype).eps * (M.abs() @ x.abs() + 1)
        bad = (residual > bound).any(-1).any(-1) & (info == 0) & torch.isfinite(x).all(-1).all(-1)
        if bool(bad.any()):
            return None
    return logabsdet, sign, M_inv, info


def _checked_logdet_inverse(M: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """:func:`_lu_logdet_inverse`, falling back to one matrix at a time if a batch fails."""
    result = _lu_logdet_inverse(M)
    if result is not None:
        return result
    if M.dim() == 3:
        global _WARNED_BATCHED_LU
        if not _WARNED_BATCHED_LU:
            logger.warning(
                "batched LU factorisation on CPU gave inconsistent results (a known problem "
                "of torch's MKL backend after torch.set_num_threads(k > 1)); h_logdet "
                "factorises the %d matrices one at a time instead",
                M.shape[0],
            )
            _WARNED_BATCHED_LU = True
        parts = [_lu_logdet_inverse(matrix) for matrix in M]
        if all(part is not None for part in parts):
            return tuple(torch.stack(items) for items in zip(*parts))  # type: ignore[return-value]
    raise RuntimeError(
        "LU factorisation of sI − W∘W failed a consistency check (invalid pivots or a large "
        "residual); set torch.set_num_threads(1) or OMP_NUM_THREADS instead of "
        "torch.set_num_threads(k > 1) and retry"
    )


class _NegLogDetShift(torch.autograd.Function):
    """−log det(sI − A) + n log s, +inf outside the M-matrix domain; gradient (sI − A)^{−ᵀ}."""

    @staticmethod
    def forward(ctx, A: Tensor, s: float) -> Tensor:
        n = A.shape[-1]
        M = s * torch.eye(n, dtype=A.dtype, device=A.device) - A  # (..., n, n)
        logabsdet, sign, M_inv, info = _checked_logdet_inverse(M)
        # sI − A is a Z-matrix; it is a non-singular M-matrix (⇔ s > ρ(A)) iff its inverse
        # is entrywise non-negative (the test DAGMA itself uses).  A positive determinant
        # alone is not enough: two eigenvalues of A above s give det > 0.
        scale = M_inv.abs().amax(dim=(-2, -1))
        tol = math.sqrt(torch.finfo(A.dtype).eps) * scale
        valid = (info == 0) & (sign > 0) & torch.isfinite(scale) & (M_inv.amin(dim=(-2, -1)) >= -tol)
        h = -logabsdet + n * math.log(s)
        h = torch.where(valid, h, torch.full_like(h, math.inf))
        ctx.save_for_backward(torch.where(valid[..., None, None], M_inv, 0.0))
        return h

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_h: Tensor) -> tuple[Tensor, None]:
        (M_inv,) = ctx.saved_tensors
        # d(−log det(sI − A))/dA = (sI − A)^{−ᵀ}; zero where h was +inf.
        return grad_h[..., None, None] * M_inv.mT, None


def h_expm(W: Tensor) -> Tensor:
    """Eq. (8), NOTEARS (Zheng et al., 2018): ``h(W) = tr(exp(W∘W)) − n``.

    0 iff ``W`` is the adjacency of a DAG; ``∇h = exp(W∘W)ᵀ ∘ 2W``.  Overflow gives
    ``+inf`` (see the module docstring).  (n, n) → scalar, (B, n, n) → (B,).
    """
    _check_square(W)
    return _TraceExp.apply(W * W)


def h_poly(W: Tensor) -> Tensor:
    """DAG-GNN (Yu et al., 2019): ``h(W) = tr((I + W∘W/n)^n) − n``.

    A polynomial truncation of :func:`h_expm` (same zero set, smaller values).  The power
    is computed by repeated squaring (``torch.linalg.matrix_power``) and its gradient
    with respect to ``A = W∘W``, ``((I + A/n)^{n−1})ᵀ``, reuses the forward's
    ``(n−1)``-th power.
    """
    _check_square(W)
    return _TracePower.apply(W * W)


def h_logdet(W: Tensor, s: float = 1.0) -> Tensor:
    """DAGMA (Bello et al., 2022): ``h(W) = −log det(sI − W∘W) + n log s``.

    Valid only on the domain ``s > ρ(W∘W)`` (``sI − W∘W`` a non-singular M-matrix), where
    ``h ≥ 0`` with equality iff ``W`` is a DAG.  Outside the domain the value would be
    meaningless (it can be finite and even negative), so this returns ``+inf`` for each
    matrix outside it, with zero gradient; the test is the entrywise non-negativity of
    ``(sI − W∘W)^{−1}`` plus a positive determinant.  Computed from one LU
    factorisation (``torch.linalg.lu_factor_ex``: log|det| and sign as in
    ``torch.linalg.slogdet``, the sign taken from U's diagonal and the pivots), whose
    inverse also gives the gradient ``(sI − W∘W)^{−ᵀ} ∘ 2W``.

    Choose ``s`` above ``ρ(W∘W)``: e.g. the off-diagonal of a per-sequence covariance
    (``cov_mode="sequence"``, n = 200, D = 64) has ``ρ ≈ n/D ≈ 3``, so ``s = 1`` puts
    every matrix outside the domain, while a batch-averaged covariance has ``ρ ≪ 1``.
    On CPU the LU result is checked (pivots, residual) and a batch that fails is
    factorised one matrix at a time: batched LU of this torch/MKL build returns
    garbage pivots after ``torch.set_num_threads(k > 1)``.
    """
    _check_square(W)
    s = float(s)
    if not s > 0:
        raise ValueError(f"h_logdet needs s > 0 (and s > spectral radius of W∘W), got s={s}")
    return _NegLogDetShift.apply(W * W, s)


def h_spectral(W: Tensor, iters: int | None = None) -> Tensor:
    """NO-BEARS (Lee et al., 2019): spectral radius ``ρ(W∘W)`` by power iteration.

    Right and left vectors ``v ← Av/‖Av‖``, ``u ← Aᵀu/‖Aᵀu‖`` (``A = W∘W``, both started
    from the all-ones vector) are run without gradient; the estimate is
    ``uᵀAv / uᵀv`` and its gradient with respect to ``A`` is ``u vᵀ / uᵀv``, the exact
    derivative of a simple eigenvalue once the vectors have converged.

    Since ``A ≥ 0``, the estimate equals ``1ᵀA^{2k+1}1 / 1ᵀA^{2k}1`` after ``k = iters``
    steps: it is > 0 whenever the graph has a cycle (walks of every length exist) and
    exactly 0 for a DAG once ``2·iters + 1 ≥`` the longest path length + 1, which is
    guaranteed by ``iters ≥ (n − 1)/2`` (the default).  With fewer steps a DAG with long
    paths gets a small positive value.  For imprimitive matrices (e.g. a single cycle, whose
    eigenvalues share the modulus ρ) power iteration need not converge; the estimate
    then still separates DAGs from cyclic graphs, but its value (and gradient) can be
    off from ρ.

    Args:
        W: (n, n) or (B, n, n).
        iters: power-iteration steps (each one a vector-matrix product per direction);
            default ``max(50, ⌈(n − 1)/2⌉)``, exact on every DAG.
    """
    n = _check_square(W)
    if iters is None:
        iters = max(50, n // 2)
    if iters < 1:
        raise ValueError(f"h_spectral needs iters >= 1, got {iters}")
    A = W * W  # (..., n, n)
    tiny = torch.finfo(A.dtype).tiny
    with torch.no_grad():
        Ad = A.detach()
        # row vectors (..., 1, n): vᵀ ← vᵀAᵀ and uᵀ ← uᵀA (a row-vector product is several
        # times faster than a batched matrix-vector product on CPU)
        v = torch.full((*A.shape[:-2], 1, n), n**-0.5, dtype=A.dtype, device=A.device)
        u = v.clone()
        At = Ad.mT
        for _ in range(iters):
            v = v @ At
            v = v / v.norm(dim=-1, keepdim=True).clamp_min(tiny)
            u = u @ Ad
            u = u / u.norm(dim=-1, keepdim=True).clamp_min(tiny)
        den = (u * v).sum(dim=(-2, -1))  # uᵀv
    num = ((u @ A) * v).sum(dim=(-2, -1))  # uᵀAv, differentiable in A
    positive = den > 0
    return torch.where(positive, num / torch.where(positive, den, 1.0), torch.zeros_like(num))


ACYCLICITY: dict[str, Callable[..., Tensor]] = {
    "expm": h_expm,
    "poly": h_poly,
    "logdet": h_logdet,
    "spectral": h_spectral,
}


def acyclicity(W: Tensor, kind: str = "expm", **kw) -> Tensor:
    """Dispatch to one of :data:`ACYCLICITY` (``"expm"`` is the paper's eq. 8).

    Extra keywords go to the chosen function (``s`` for ``"logdet"``, ``iters`` for
    ``"spectral"``).
    """
    try:
        fn = ACYCLICITY[kind]
    except KeyError:
        raise ValueError(f"unknown acyclicity kind {kind!r}; valid kinds: {', '.join(ACYCLICITY)}") from None
    return fn(W, **kw)
