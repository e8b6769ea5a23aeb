"""Eq. (8) and alternatives: zero on DAGs, positive on cycles, gradients, domains."""

import math
import subprocess
import sys

import pytest
import torch

from causalrec.discovery import (
    ACYCLICITY,
    acyclicity,
    h_expm,
    h_logdet,
    h_poly,
    h_spectral,
    offdiag,
)

KINDS = ("expm", "poly", "logdet", "spectral")


def random_dag(n, gen, scale=0.5, density=0.6, dtype=torch.float64):
    """Strictly lower-triangular weights, then a random node permutation."""
    weights = scale * (0.5 + torch.rand(n, n, generator=gen, dtype=dtype))
    signs = torch.where(torch.rand(n, n, generator=gen) < 0.5, -1.0, 1.0).to(dtype)
    keep = torch.rand(n, n, generator=gen) < density
    L = (weights * signs * keep).tril(-1)
    perm = torch.randperm(n, generator=gen)
    return L[perm][:, perm]


def add_cycle(W, gen, weight=0.4):
    """Add the reverse of an existing path's endpoints, closing a directed cycle."""
    n = W.shape[-1]
    A = (W != 0).double()
    reach = torch.linalg.matrix_power(torch.eye(n, dtype=torch.float64) + A, n) > 0
    reach.fill_diagonal_(False)
    i, j = reach.nonzero()[torch.randint(int(reach.sum()), (1,), generator=gen)][0]
    C = W.clone()
    C[j, i] = weight  # i ⇝ j already, now j → i
    return C


def test_registry_and_bad_kind():
    assert tuple(ACYCLICITY) == KINDS
    with pytest.raises(ValueError, match="expm, poly, logdet, spectral"):
        acyclicity(torch.zeros(3, 3), kind="trace")


@pytest.mark.parametrize("kind", KINDS)
def test_zero_on_random_dags(kind):
    gen = torch.Generator().manual_seed(0)
    for n in (2, 5, 9):
        for _ in range(3):
            W = random_dag(n, gen)
            assert abs(float(acyclicity(W, kind))) < 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_positive_on_a_cycle(kind):
    W = torch.tensor([[0.0, 0.5, 0.0], [0.0, 0.0, 0.5], [0.5, 0.0, 0.0]])
    assert float(acyclicity(W, kind)) > 1e-3
    assert float(acyclicity(W.T, kind)) > 1e-3


def test_all_kinds_agree_on_a_batch():
    gen = torch.Generator().manual_seed(1)
    n = 7
    dags = [random_dag(n, gen, scale=0.4) for _ in range(8)]
    batch = torch.stack(dags + [add_cycle(W, gen) for W in dags])  # (16, n, n)
    is_cyclic = torch.arange(16) >= 8
    radius = torch.linalg.eigvals(batch * batch).abs().amax(-1)
    assert radius.max() < 1, "test inputs must lie in the log-det domain (s = 1)"
    for kind in KINDS:
        h = acyclicity(batch, kind)
        assert h.shape == (16,)
        assert torch.equal(h > 1e-8, is_cyclic), kind
        assert torch.all(h[~is_cyclic].abs() < 1e-6), kind
        # batched evaluation equals one-by-one evaluation
        single = torch.stack([acyclicity(W, kind) for W in batch])
        torch.testing.assert_close(h, single)


def test_spectral_matches_eigenvalues_on_dense_matrices():
    """Dense W ⇒ W∘W > 0 is primitive, so power iteration converges to ρ(W∘W)."""
    gen = torch.Generator().manual_seed(4)
    W = torch.randn(6, 8, 8, generator=gen, dtype=torch.float64) * 0.3
    radius = torch.linalg.eigvals(W * W).abs().amax(-1)
    torch.testing.assert_close(h_spectral(W), radius, atol=1e-8, rtol=1e-8)


def test_known_values():
    a = 0.5
    W = torch.tensor([[0.0, a], [a, 0.0]], dtype=torch.float64)  # 2-cycle, A = a² [[0,1],[1,0]]
    q = a**2
    torch.testing.assert_close(h_expm(W), torch.tensor(2 * math.cosh(q) - 2, dtype=W.dtype))
    torch.testing.assert_close(h_poly(W), torch.tensor(q**2 / 2, dtype=W.dtype))  # tr M² − 2
    torch.testing.assert_close(h_logdet(W), torch.tensor(-math.log(1 - q**2), dtype=W.dtype))
    torch.testing.assert_close(
        h_logdet(W, s=2.0), torch.tensor(-math.log(4 - q**2) + 2 * math.log(2), dtype=W.dtype)
    )
    torch.testing.assert_close(h_spectral(W), torch.tensor(q, dtype=W.dtype))


def test_spectral_default_iters_exact_on_long_chains():
    n = 121
    chain = torch.diag(torch.ones(n - 1, dtype=torch.float64), -1)  # path of n − 1 edges
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(5))
    chain = chain[perm][:, perm]
    assert h_spectral(chain).item() == 0.0
    assert h_spectral(chain, iters=10).item() > 0.5  # too few steps: 1ᵀA²¹1 / 1ᵀA²⁰1


def test_paper_target_covariance_bound_and_offdiag():
    gen = torch.Generator().manual_seed(2)
    n = 6
    X = torch.randn(50, n, generator=gen, dtype=torch.float64)
    S = X.T @ X
    d = S.diagonal().rsqrt()
    C = d[:, None] * S * d[None, :]  # correlation matrix: unit diagonal
    assert float(h_expm(C)) >= n * (math.e - 1) - 1e-9
    # a diagonal covariance: the literal target is stuck at n(e-1), offdiag reaches 0
    D = torch.eye(n, dtype=torch.float64)
    torch.testing.assert_close(h_expm(D), torch.tensor(n * (math.e - 1), dtype=D.dtype))
    assert float(h_expm(offdiag(D))) < 1e-12
    # offdiag of a nearly diagonal covariance: h ≈ Σ_{i<j} W_ij⁴ (the decorrelation view)
    E = D + 0.01 * (C - D)
    expected = (offdiag(E) ** 4).sum() / 2
    torch.testing.assert_close(h_expm(offdiag(E)), expected, rtol=1e-3, atol=0)


def test_overflow_is_inf_not_nan():
    W = torch.ones(40, 40) * 3.0  # ρ(W∘W) = 360: exp overflows float32
    assert h_expm(W).item() == math.inf
    block = torch.block_diag(torch.ones(30, 30) * 3.0, torch.zeros(20, 20))
    assert h_expm(block).item() == math.inf
    assert h_poly(torch.ones(200, 200) * 3.0).item() == math.inf
    # float64 postpones the overflow and the gradient flows through the cast
    W64 = (torch.ones(10, 10) * 1.5).requires_grad_(True)
    h = h_expm(W64.double())
    assert math.isfinite(h.item())
    h.backward()
    assert torch.isfinite(W64.grad).all()


def test_logdet_outside_domain_is_inf():
    # one 2-cycle with ρ(W∘W) = 2.25 > s: negative determinant
    W = torch.tensor([[0.0, 1.5], [1.5, 0.0]], dtype=torch.float64, requires_grad=True)
    assert h_logdet(W).item() == math.inf
    assert h_logdet(W, s=3.0).item() < math.inf  # inside for s = 3 > 2.25
    # two such cycles: det(I − A) > 0, yet outside the domain (the sign test alone misses it)
    W2 = torch.block_diag(W.detach(), W.detach())
    assert torch.linalg.det(torch.eye(4, dtype=W2.dtype) - W2 * W2) > 0
    assert h_logdet(W2).item() == math.inf
    # batched: only the offending matrix is +inf; its gradient is 0
    batch = torch.stack([0.2 * W.detach(), W.detach()]).requires_grad_(True)
    h = h_logdet(batch)
    assert math.isfinite(h[0].item()) and h[1].item() == math.inf
    h[0].backward()
    assert torch.all(batch.grad[1] == 0) and batch.grad[0].abs().sum() > 0
    with pytest.raises(ValueError, match="s > 0"):
        h_logdet(W, s=0.0)


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck(kind):
    gen = torch.Generator().manual_seed(3)
    n = 5
    W = 0.15 + 0.25 * torch.rand(n, n, generator=gen, dtype=torch.float64)  # dense, cyclic
    W = W * torch.where(torch.rand(n, n, generator=gen) < 0.5, -1.0, 1.0).double()
    kw = {"iters": 300} if kind == "spectral" else {}
    W.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: acyclicity(x, kind, **kw), (W,))
    batch = torch.stack([W.detach(), 0.5 * W.detach()]).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: acyclicity(x, kind, **kw), (batch,))


def test_shape_validation():
    with pytest.raises(ValueError, match=r"\(n, n\)"):
        h_expm(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="iters"):
        h_spectral(torch.zeros(3, 3), iters=0)


_SET_THREADS_SCRIPT = """
import torch
from causalrec.discovery import h_logdet
torch.set_num_threads(2)
gen = torch.Generator().manual_seed(0)
W = (0.05 * torch.randn(4, 200, 200, generator=gen)).requires_grad_(True)
h = h_logdet(W)
h.sum().backward()
eye = torch.eye(200, dtype=torch.float64)
M = eye - W.detach().double() ** 2
ref = -torch.linalg.slogdet(M[0])[1]
grad_ref = 2 * W.detach().double()[0] * torch.linalg.inv(M[0]).T
print("RESULT", abs(h[0].item() - ref.item()), (W.grad[0].double() - grad_ref).abs().max().item())
"""


def test_logdet_survives_batched_lu_bug_after_set_num_threads():
    """This torch/MKL build returns garbage pivots from batched CPU LU after
    torch.set_num_threads(k > 1); h_logdet must notice and still be right (own process)."""
    result = subprocess.run(
        [sys.executable, "-c", _SET_THREADS_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    line = [row for row in result.stdout.splitlines() if row.startswith("RESULT")][-1]
    value_error, grad_error = map(float, line.split()[1:])
    assert value_error < 1e-4 and grad_error < 1e-5
