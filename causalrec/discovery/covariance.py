"""Positional covariance of the causal discovery block (paper eq. 7).

The causal discovery block turns the representations ``Z`` (B, n, D) of a batch of
left-padded sequences into an n×n matrix ``W`` over *positions*.  Each position's
D-dimensional representation is standardised with a LayerNorm without affine
parameters, so ``<z̃_i, z̃_i> / D = 1`` (up to the LayerNorm ``eps``) and ``W`` is a
correlation-like matrix with unit diagonal at real positions.

Two modes (``cov_mode`` in the config):

* ``"batch"`` (default, :func:`batch_covariance`): one (n, n) matrix averaged over the
  sequences in which *both* positions hold a real item.
* ``"sequence"`` (:func:`sequence_covariance`): one (n, n) matrix per sequence,
  ``W_k = Z̃_k Z̃_kᵀ / D`` (used for per-user explanations; costly to penalise).

Padded positions never contribute: their rows of ``Z̃`` are zeroed before any product.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["batch_covariance", "sequence_covariance", "standardise"]


def _check_inputs(z: Tensor, mask: Tensor) -> None:
    if z.dim() != 3:
        raise ValueError(f"z must have shape (B, n, D), got {tuple(z.shape)}")
    if mask.shape != z.shape[:2]:
        raise ValueError(
            f"mask must have shape (B, n) = {tuple(z.shape[:2])} matching z, got {tuple(mask.shape)}"
        )


def standardise(z: Tensor, mask: Tensor, eps: float = 1e-5) -> Tensor:
    """Z̃: LayerNorm over the last dim without affine parameters, padded rows set to 0.

    Returns a tensor of the same shape as ``z`` (B, n, D).
    """
    _check_inputs(z, mask)
    z_tilde = F.layer_norm(z, (z.shape[-1],), eps=eps)  # (B, n, D)
    return z_tilde * mask.unsqueeze(-1).to(z_tilde.dtype)


def batch_covariance(z: Tensor, mask: Tensor, eps: float = 1e-5, *, normalize: bool = True) -> Tensor:
    """Eq. (7), ``cov_mode="batch"``: positional covariance averaged over the batch.

    ``W_ij = (1 / N_ij) Σ_k m_ki m_kj <Z̃_ki, Z̃_kj> / D`` with ``N_ij = Σ_k m_ki m_kj`` the
    number of sequences in which both positions i and j are real items; entries with
    ``N_ij = 0`` are 0.

    Computed as one matrix product: padded rows are zeroed, the batch is folded into
    the feature axis, ``(n, B·D) @ (B·D, n)``, and the counts ``N = maskᵀ mask`` divide
    the result.

    Args:
        z: representations, (B, n, D).
        mask: (B, n), True (or 1) where the position holds a real item.
        eps: LayerNorm epsilon.
        normalize: apply the affine-free LayerNorm (the paper's Z̃).  ``False`` uses
            ``Z`` itself, which makes ``W`` bilinear in ``Z`` (used to check
            ``W(AV) = A W(V) Aᵀ`` in the tests).

    Returns:
        (n, n) symmetric matrix.
    """
    _check_inputs(z, mask)
    batch, n, dim = z.shape
    m = mask.to(z.dtype)  # (B, n)
    if normalize:
        z_tilde = standardise(z, mask, eps)  # (B, n, D)
    else:
        z_tilde = z * m.unsqueeze(-1)  # (B, n, D)
    flat = z_tilde.transpose(0, 1).reshape(n, batch * dim)  # (n, B·D)
    summed = flat @ flat.T / dim  # (n, n)
    counts = m.T @ m  # (n, n): N_ij
    return torch.where(counts > 0, summed / counts.clamp_min(1.0), torch.zeros_like(summed))


def sequence_covariance(z: Tensor, mask: Tensor, eps: float = 1e-5, *, normalize: bool = True) -> Tensor:
    """Eq. (7) per sequence, ``cov_mode="sequence"``: ``W_k = Z̃_k Z̃_kᵀ / D``.

    Rows and columns of padded positions are 0.  Returns (B, n, n) (one ``bmm``).
    ``normalize`` as in :func:`batch_covariance`.
    """
    _check_inputs(z, mask)
    if normalize:
        z_tilde = standardise(z, mask, eps)  # (B, n, D)
    else:
        z_tilde = z * mask.unsqueeze(-1).to(z.dtype)  # (B, n, D)
    return torch.bmm(z_tilde, z_tilde.transpose(1, 2)) / z.shape[-1]  # (B, n, n)
