"""dag_target: paper / offdiag / sem, the SEM least-squares identity, penalty terms."""

import pytest
import torch

from causalrec.discovery import (
    DAG_TARGETS,
    SEMAdjacency,
    acyclicity,
    dag_matrix,
    dag_penalty_terms,
    h_expm,
)


def _random_covariance(n=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(40, n, generator=gen, dtype=torch.float64)
    return X.T @ X / 40


def _true_dag(n=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    B = (torch.rand(n, n, generator=gen, dtype=torch.float64) - 0.5).triu(1) * 2
    perm = torch.randperm(n, generator=gen)
    return B[perm][:, perm]


def test_dag_matrix_modes():
    W = _random_covariance()
    assert dag_matrix(W, "paper") is W
    D = dag_matrix(W, "offdiag")
    assert torch.all(D.diagonal() == 0)
    torch.testing.assert_close(D + torch.diag(W.diagonal()), W)
    batch = torch.stack([W, 2 * W])
    assert torch.all(dag_matrix(batch, "offdiag").diagonal(dim1=-2, dim2=-1) == 0)
    with pytest.raises(ValueError, match="SEMAdjacency"):
        dag_matrix(W, "sem")
    with pytest.raises(ValueError, match="paper, offdiag, sem"):
        dag_matrix(W, "diag")


def test_sem_population_covariance_prefers_the_true_graph():
    """X = X B + N (rows are samples, B_ij: edge i → j), σ² = 1 ⇒ S = (I−B)^{−ᵀ}(I−B)^{−1}."""
    n = 5
    B_true = _true_dag(n)
    inv = torch.linalg.inv(torch.eye(n, dtype=torch.float64) - B_true)
    S = inv.T @ inv
    sem = SEMAdjacency(n).double()
    loss_zero, B0 = sem(S)
    assert torch.all(B0 == 0)
    with torch.no_grad():
        sem.weight.copy_(B_true)
    loss_true, B = sem(S)
    torch.testing.assert_close(B, B_true)
    torch.testing.assert_close(loss_true, torch.tensor(0.5, dtype=torch.float64))  # σ²/2
    assert loss_true < loss_zero - 1e-3
    # gradient −S(I−B)/n = −(I−B)^{−ᵀ}/n: E[x_i ε_j] = 0 unless i is a descendant of j
    sem.weight.requires_grad_(True)
    loss, _ = sem(S)
    (grad,) = torch.autograd.grad(loss, sem.weight)
    expected = -(inv.T / n) * (1 - torch.eye(n, dtype=torch.float64))
    torch.testing.assert_close(grad, expected)
    assert grad[B_true != 0].abs().max() < 1e-12  # stationary on the true parents


def test_sem_loss_matches_data_form():
    """With S = XᵀX/m: ½ tr((I−B)ᵀ S (I−B)) / n = ‖X − XB‖²_F / (2 m n)."""
    gen = torch.Generator().manual_seed(1)
    m, n = 300, 5
    B_true = _true_dag(n, seed=1)
    N = torch.randn(m, n, generator=gen, dtype=torch.float64)
    X = N @ torch.linalg.inv(torch.eye(n, dtype=torch.float64) - B_true)
    torch.testing.assert_close(X - X @ B_true, N)  # the samples obey X = XB + N
    S = X.T @ X / m
    sem = SEMAdjacency(n).double()
    with torch.no_grad():
        sem.weight.copy_(torch.randn(n, n, generator=gen, dtype=torch.float64))
    loss, B = sem(S)
    expected = ((X - X @ B) ** 2).sum() / (2 * m * n)
    torch.testing.assert_close(loss, expected)
    # batched S gives one loss per matrix
    losses, _ = sem(torch.stack([S, 2 * S]))
    torch.testing.assert_close(losses, torch.stack([loss, 2 * loss]))


def test_sem_diagonal_is_held_at_zero():
    sem = SEMAdjacency(4)
    with torch.no_grad():
        sem.weight.fill_(0.3)
    loss, B = sem(torch.eye(4) + 0.1)
    assert torch.all(B.diagonal() == 0)
    loss.backward()
    assert torch.all(sem.weight.grad.diagonal() == 0)
    assert sem.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        sem(torch.eye(5))


@pytest.mark.parametrize("kind", ["expm", "poly", "logdet", "spectral"])
def test_penalty_terms_paper_and_offdiag(kind):
    W = 0.3 * _random_covariance()
    paper = dag_penalty_terms(W, "paper", kind=kind)
    assert set(paper) == {"h", "l1"}
    torch.testing.assert_close(paper["h"], acyclicity(W, kind))
    torch.testing.assert_close(paper["l1"], W.abs().sum())
    off = dag_penalty_terms(W, "offdiag", kind=kind)
    assert set(off) == {"h", "l1"}
    torch.testing.assert_close(off["l1"], W.abs().sum() - W.diagonal().abs().sum())
    assert off["h"] < paper["h"]
    batch = dag_penalty_terms(torch.stack([W, W]), "offdiag", kind=kind)
    assert batch["h"].shape == (2,) and batch["l1"].shape == (2,)


def test_penalty_terms_sem():
    n = 5
    W = _random_covariance(n)
    sem = SEMAdjacency(n).double()
    B_true = _true_dag(n)
    with torch.no_grad():
        sem.weight.copy_(B_true + torch.eye(n, dtype=torch.float64))  # diagonal is masked out
    terms = dag_penalty_terms(W, "sem", kind="expm", sem=sem)
    assert set(terms) == {"h", "l1", "sem_ls"}
    assert abs(terms["h"].item()) < 1e-10  # B is a DAG
    torch.testing.assert_close(terms["l1"], B_true.abs().sum())
    torch.testing.assert_close(terms["sem_ls"], sem(W)[0])
    # a cycle in B shows up in h
    with torch.no_grad():
        sem.weight.copy_(B_true + B_true.T)
    assert dag_penalty_terms(W, "sem", sem=sem)["h"] > 0
    torch.testing.assert_close(dag_penalty_terms(W, "sem", sem=sem)["h"], h_expm(B_true + B_true.T))
    with pytest.raises(ValueError, match="SEMAdjacency"):
        dag_penalty_terms(W, "sem")


def test_penalty_terms_bad_mode_lists_modes():
    assert DAG_TARGETS == ("paper", "offdiag", "sem")
    with pytest.raises(ValueError, match="paper, offdiag, sem"):
        dag_penalty_terms(torch.eye(3), "lower")
    with pytest.raises(ValueError, match="valid kinds"):
        dag_penalty_terms(torch.eye(3), "offdiag", kind="nope")
