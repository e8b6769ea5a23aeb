"""Which matrix the acyclicity penalty is applied to (``dag_target``, DESIGN §4).

The paper penalises ``h(W)`` (eq. 8) of the positional covariance ``W`` (eq. 7).  A
covariance is symmetric with a positive diagonal, so ``h(W) ≥ n(e − 1)`` can never
reach 0 and the augmented Lagrangian (eq. 18) grows without bound.  Three targets:

* ``"paper"``: ``W`` as written, diagonal included (literal reading; diverges).
* ``"offdiag"`` (default): ``W`` with its diagonal zeroed; ``h → 0`` is reachable and
  the penalty acts as a smooth decorrelation term (``h_expm ≈ Σ_{i<j} W_ij⁴``).
* ``"sem"``: beyond the paper.  An explicit weighted adjacency ``B`` is fitted to
  ``S = W`` as a linear equal-variance SEM with the NOTEARS least-squares loss
  (Zheng et al., 2018), and ``h`` and the L1 norm are applied to ``B``.

SEM convention (NOTEARS): samples are rows of ``X`` (m, n) and ``X = X B + N`` with
``N`` i.i.d. noise of variance σ², so ``B_ij ≠ 0`` is an edge ``i → j`` (each sample
column vector obeys ``x = Bᵀx + ε``).  Then the population second moment is
``S = σ² (I − B)^{−ᵀ} (I − B)^{−1}`` and, with ``S = XᵀX / m``,
``½ tr((I − B)ᵀ S (I − B)) / n = ‖X − X B‖²_F / (2 m n)``.  The division by ``n`` makes the
loss a per-variable average (σ²/2 at the true ``B``), so its scale does not grow with
the sequence length.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from causalrec.discovery.acyclicity import acyclicity

__all__ = ["DAG_TARGETS", "SEMAdjacency", "dag_matrix", "dag_penalty_terms", "offdiag"]

DAG_TARGETS: tuple[str, ...] = ("paper", "offdiag", "sem")


def _check_mode(mode: str) -> None:
    if mode not in DAG_TARGETS:
        raise ValueError(f"unknown dag_target {mode!r}; valid modes: {', '.join(DAG_TARGETS)}")


def offdiag(W: Tensor) -> Tensor:
    """``W`` with its diagonal set to 0; (n, n) or (B, n, n)."""
    n = W.shape[-1]
    eye = torch.eye(n, dtype=torch.bool, device=W.device)
    return W.masked_fill(eye, 0.0)


def dag_matrix(W: Tensor, mode: str) -> Tensor:
    """The matrix whose acyclicity is penalised for ``dag_target=mode``.

    ``"paper"``: ``W`` itself; ``"offdiag"``: ``W`` with zero diagonal.  ``"sem"`` has no
    closed form (the matrix is a learned parameter): use :class:`SEMAdjacency`.
    """
    _check_mode(mode)
    if mode == "paper":
        return W
    if mode == "offdiag":
        return offdiag(W)
    raise ValueError(
        "dag_target='sem' penalises a learned adjacency B, not a function of W: "
        "use SEMAdjacency(n)(W) (or dag_penalty_terms(W, 'sem', sem=...))"
    )


class SEMAdjacency(nn.Module):
    """Learned n×n weighted adjacency ``B`` for ``dag_target="sem"`` (beyond the paper).

    ``B`` starts at zero and its diagonal is held at zero (the raw parameter's
    diagonal is masked out, so it receives no gradient).  See the module docstring for
    the SEM convention and the normalisation of the least-squares loss.
    """

    def __init__(self, n: int) -> None:
        super().__init__()
        if n < 1:
            raise ValueError(f"SEMAdjacency needs n >= 1, got {n}")
        self.n = n
        self.weight = nn.Parameter(torch.zeros(n, n))  # (n, n), raw B
        self.register_buffer("offdiag_mask", 1.0 - torch.eye(n), persistent=False)

    @property
    def adjacency(self) -> Tensor:
        """``B`` with the diagonal forced to 0, (n, n)."""
        return self.weight * self.offdiag_mask

    def forward(self, S: Tensor) -> tuple[Tensor, Tensor]:
        """NOTEARS least squares written on a covariance: ``½ tr((I − B)ᵀ S (I − B)) / n``.

        Args:
            S: covariance / second-moment matrix, (n, n) or (batch, n, n).

        Returns:
            ``(least_squares, B)``: a scalar (or (batch,)) loss and the (n, n) adjacency.
        """
        if S.shape[-2:] != (self.n, self.n) or S.dim() not in (2, 3):
            raise ValueError(
                f"S must have shape ({self.n}, {self.n}) or (batch, {self.n}, {self.n}), got {tuple(S.shape)}"
            )
        B = self.adjacency.to(S.dtype)
        eye = torch.eye(self.n, dtype=S.dtype, device=S.device)
        residual = eye - B  # (n, n)
        # tr(Rᵀ S R) = Σ_ij R_ij (S R)_ij
        least_squares = 0.5 * (residual * (S @ residual)).sum(dim=(-2, -1)) / self.n
        return least_squares, B

    def extra_repr(self) -> str:
        return f"n={self.n}"


def dag_penalty_terms(
    W: Tensor,
    mode: str,
    kind: str = "expm",
    sem: SEMAdjacency | None = None,
    **acyclicity_kw,
) -> dict[str, Tensor]:
    """The DAG terms of the loss (eq. 16–18) for ``dag_target=mode``.

    Returns ``{"h": h(·), "l1": ‖·‖₁}`` of the penalised matrix (``W`` for ``"paper"``,
    offdiag ``W`` for ``"offdiag"``, ``B`` for ``"sem"``), plus ``"sem_ls"``, the SEM
    least-squares loss, for ``"sem"``.  ``W`` may be (n, n) or (B, n, n); ``h`` and
    ``l1`` are then scalars or (B,).  ``acyclicity_kw`` goes to :func:`acyclicity`.
    """
    _check_mode(mode)
    if mode == "sem":
        if sem is None:
            raise ValueError("dag_target='sem' needs an SEMAdjacency module: pass sem=...")
        least_squares, B = sem(W)
        return {
            "h": acyclicity(B, kind, **acyclicity_kw),
            "l1": B.abs().sum(),
            "sem_ls": least_squares,
        }
    D = dag_matrix(W, mode)
    return {"h": acyclicity(D, kind, **acyclicity_kw), "l1": D.abs().sum(dim=(-2, -1))}
