"""What the acyclicity penalty does to a LayerNorm-ed covariance (book chapter 3).

Positions 0..n−1 of a window are the nodes of a linear SEM with a known DAG: every
sequence k holds D independent draws of it, so ``Z_k`` (n, D) has the SEM's
dependence across positions and eq. (7) gives (after the affine-free LayerNorm) a
positional correlation matrix ``W`` (n, n).  Two experiments:

* :func:`h_by_target` ``h`` of the penalised matrix under each ``dag_target`` mode and
  each acyclicity function: ``"paper"`` (W with its unit diagonal: ``h_expm ≥ n(e−1)``,
  log-det outside its domain), ``"offdiag"`` (W without diagonal) and ``"sem"`` (a
  fitted adjacency B).
* :func:`lagrangian_trajectories` the loss of eq. (16)–(18) minimised over learnable
  representations ``Z`` (and B for ``"sem"``) with Adam, the augmented-Lagrangian
  update (:class:`~causalrec.discovery.AugmentedLagrangian`) after every epoch; a
  fidelity term ``½ mean (Z − Z₀)²`` stands in for the recommendation loss.  Records
  κ (mean h), ρ, β, the loss terms, the mean diagonal of W and, at the end, the graph
  ``|·| > τ`` against the true DAG.  The affine-free LayerNorm has an ``eps``: by
  shrinking a position's feature variance below it, ``Z`` can shrink that diagonal
  entry towards 0, the only way ``h(paper)`` can fall under ``n(e − 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from causalrec.discovery.acyclicity import ACYCLICITY, acyclicity
from causalrec.discovery.covariance import batch_covariance
from causalrec.discovery.dag_target import DAG_TARGETS, SEMAdjacency, dag_penalty_terms, offdiag
from causalrec.discovery.lagrangian import AugmentedLagrangian
from causalrec.discovery.sem import count_accuracy, simulate_dag, simulate_linear_sem, simulate_parameter

__all__ = ["h_by_target", "lagrangian_trajectories", "positional_sem_batch"]


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def positional_sem_batch(n: int = 20, dim: int = 32, batch: int = 64, *, edges_per_node: float = 1.0,
                         seed: int = 0) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Representations ``Z`` (batch, n, dim) whose positions follow a random linear SEM.

    Returns ``(Z, B_true, W_true)``: the ER DAG over positions and its weights
    (``±[0.5, 2]``); each of the ``batch · dim`` feature columns is one SEM sample.
    """
    rng = np.random.default_rng(seed)
    B = simulate_dag(n, min(int(round(edges_per_node * n)), n * (n - 1) // 2), "ER", rng)
    W = simulate_parameter(B, seed=rng)
    X = simulate_linear_sem(W, batch * dim, seed=rng)  # (batch·dim, n)
    Z = torch.from_numpy(X.reshape(batch, dim, n).transpose(0, 2, 1).copy()).float()  # (batch, n, dim)
    return Z, B, W


def _fit_sem(W: torch.Tensor, kind: str, lambda_l1: float, epochs: int, steps: int,
             lr: float) -> SEMAdjacency:
    """B fitted to a fixed covariance W with least squares + L1 + the eq. (18) schedule."""
    sem = SEMAdjacency(W.shape[-1])
    optimiser = torch.optim.Adam(sem.parameters(), lr=lr)
    lagrangian = AugmentedLagrangian()
    for _ in range(epochs):
        hs = []
        for _ in range(steps):
            terms = dag_penalty_terms(W, "sem", kind, sem=sem)
            loss = terms["sem_ls"] + lambda_l1 * terms["l1"] + lagrangian.penalty(terms["h"])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            hs.append(float(terms["h"].detach()))
        lagrangian.update(float(np.mean(hs)))
    return sem


def h_by_target(n: int = 20, dim: int = 32, batch: int = 64, *, kinds: Sequence[str] = tuple(ACYCLICITY),
                seed: int = 0, sem_epochs: int = 20, sem_steps: int = 50, lambda_l1: float = 1e-3) -> dict:
    """``h`` of the matrix each ``dag_target`` penalises, for each acyclicity function.

    ``"paper"`` and ``"offdiag"`` are evaluated on the LayerNorm-ed covariance of
    :func:`positional_sem_batch`; ``"sem"`` on an adjacency B fitted to it (Adam, eq. 18
    schedule, ``sem_epochs × sem_steps`` steps).  ``None`` marks +inf (log-det outside its
    domain, or overflow).  Also returns ``n(e − 1)``, the bound ``h_expm(paper) ≥ n(e−1)``.
    """
    Z, B_true, _ = positional_sem_batch(n, dim, batch, seed=seed)
    mask = torch.ones(Z.shape[:2], dtype=torch.bool)
    with torch.no_grad():
        W = batch_covariance(Z, mask)  # (n, n), unit diagonal
    rows = []
    for kind in kinds:
        torch.manual_seed(seed)
        sem = _fit_sem(W, kind, lambda_l1, sem_epochs, sem_steps, lr=1e-2)
        B = sem.adjacency.detach()
        with torch.no_grad():
            values = {"paper": float(acyclicity(W.double(), kind)),
                      "offdiag": float(acyclicity(offdiag(W).double(), kind)),
                      "sem": float(acyclicity(B.double(), kind))}
        accuracy = count_accuracy(B_true, (B.abs() > 0.3).numpy(), allow_cyclic=True)
        rows.append({"kind": kind, **{f"h_{m}": _finite_or_none(v) for m, v in values.items()},
                     "sem_shd": accuracy["shd"], "sem_is_dag": accuracy["is_dag"]})
    offd = offdiag(W)
    return {"rows": rows, "n": n, "n_times_e_minus_1": n * (math.e - 1),
            "offdiag_abs_mean": float(offd.abs().sum() / (n * (n - 1))),
            "offdiag_abs_max": float(offd.abs().max()), "true_edges": int(B_true.sum()),
            "settings": {"n": n, "dim": dim, "batch": batch, "seed": seed, "sem_epochs": sem_epochs,
                         "sem_steps": sem_steps, "lambda_l1": lambda_l1}}


def lagrangian_trajectories(n: int = 20, dim: int = 32, batch: int = 64, *, kind: str = "expm",
                            modes: Sequence[str] = DAG_TARGETS, epochs: int = 25,
                            steps_per_epoch: int = 20, lr: float = 1e-2, lambda_l1: float = 1e-3,
                            rho_max: float = 1e16, tau: float = 0.3, seed: int = 0) -> dict:
    """Eq. (16)–(18) over ``epochs`` for each ``dag_target`` mode (float32, as in training).

    Per epoch: ``steps_per_epoch`` Adam steps on ``½ mean (Z − Z₀)² + λ‖·‖₁ + ρ/2 h² + β h``
    (+ the SEM least squares for ``"sem"``), then ``AugmentedLagrangian.update(κ)``.
    A non-finite κ ends that mode's run (recorded in ``stopped``).
    """
    Z0, B_true, _ = positional_sem_batch(n, dim, batch, seed=seed)
    mask = torch.ones(Z0.shape[:2], dtype=torch.bool)
    runs = {}
    for mode in modes:
        torch.manual_seed(seed)
        Z = torch.nn.Parameter(Z0.clone())
        sem = SEMAdjacency(n) if mode == "sem" else None
        params = [Z] + (list(sem.parameters()) if sem is not None else [])
        optimiser = torch.optim.Adam(params, lr=lr)
        lagrangian = AugmentedLagrangian(rho_max=rho_max)
        history, stopped = [], None
        for epoch in range(1, epochs + 1):
            sums: dict[str, float] = {}
            for _ in range(steps_per_epoch):
                W = batch_covariance(Z, mask)  # (n, n)
                terms = dag_penalty_terms(W, mode, kind, sem=sem)
                parts = {"fidelity": 0.5 * ((Z - Z0) ** 2).mean(), "l1": lambda_l1 * terms["l1"],
                         "dag_penalty": lagrangian.penalty(terms["h"])}
                if "sem_ls" in terms:
                    parts["sem_ls"] = terms["sem_ls"]
                total = sum(parts.values())
                optimiser.zero_grad()
                total.backward()
                optimiser.step()
                extra = {"h": terms["h"], "total": total, "diag_mean": W.diagonal().mean()}
                for name, value in {**parts, **extra}.items():
                    sums[name] = sums.get(name, 0.0) + float(value.detach())
            means = {name: value / steps_per_epoch for name, value in sums.items()}
            record = {"epoch": epoch, **{k: _finite_or_none(v) for k, v in means.items()}}
            try:
                lagrangian.update(means["h"])
            except (ValueError, OverflowError) as err:
                stopped = f"epoch {epoch}: {err}"
                history.append(record)
                break
            record.update(rho=lagrangian.rho, beta=lagrangian.beta)
            history.append(record)
        with torch.no_grad():
            W = batch_covariance(Z, mask)
            penalised = {"paper": W, "offdiag": offdiag(W)}.get(mode, sem.adjacency if sem else W)
            graph = (penalised.abs() > tau).numpy()
            np.fill_diagonal(graph, False)  # a unit diagonal is not an edge
        accuracy = count_accuracy(B_true, graph, allow_cyclic=True)
        runs[mode] = {"history": history, "stopped": stopped, "final_graph": accuracy,
                      "offdiag_abs_mean": float(offdiag(W).abs().sum() / (n * (n - 1))),
                      "diag_mean": float(W.diagonal().mean()),
                      "z_moved": float(((Z.detach() - Z0) ** 2).mean().sqrt())}
    return {"runs": runs, "true_edges": int(B_true.sum()),
            "settings": {"n": n, "dim": dim, "batch": batch, "kind": kind, "epochs": epochs,
                         "steps_per_epoch": steps_per_epoch, "lr": lr, "lambda_l1": lambda_l1,
                         "rho_max": rho_max, "tau": tau, "seed": seed, "dtype": "float32"}}
