"""Linear NOTEARS: exact recovery, data vs covariance, every acyclicity function."""

import numpy as np
import pytest
import torch

from causalrec.discovery import h_expm
from causalrec.discovery.notears import acyclicity_value_and_grad, notears_linear
from causalrec.discovery.sem import count_accuracy, is_dag, population_covariance, simulate_linear_sem


def _five_node_dag():
    """0→1, 1→2, 0→3, 1→3, 2→4, 3→4 with mixed signs, node labels permuted."""
    W = np.zeros((5, 5))
    W[0, 1], W[1, 2], W[0, 3], W[1, 3], W[2, 4], W[3, 4] = 1.5, -1.0, 0.8, 0.6, 1.2, -0.7
    perm = np.array([3, 0, 4, 1, 2])
    return W[np.ix_(perm, perm)]


def test_recovers_five_node_equal_variance_sem_exactly():
    W = _five_node_dag()
    X = simulate_linear_sem(W, 10_000, "gauss", seed=0)
    result = notears_linear(X)  # reference defaults: lambda1 = 0.1, threshold 0.3, expm
    assert result.converged and result.h <= 1e-8
    assert count_accuracy(W, result.W_est)["shd"] == 0
    np.testing.assert_array_equal(result.W_est != 0, W != 0)
    np.testing.assert_allclose(result.W_est[W != 0], W[W != 0], atol=0.25)  # L1 shrinks the weights
    assert result.seconds < 10


def test_covariance_input_gives_the_same_fit_as_data():
    W = _five_node_dag()
    X = simulate_linear_sem(W, 2_000, seed=1)
    Xc = X - X.mean(axis=0)
    from_data = notears_linear(X, max_iter=3)
    from_cov = notears_linear(cov=Xc.T @ Xc / len(X), max_iter=3)
    np.testing.assert_allclose(from_data.W_raw, from_cov.W_raw, atol=1e-6)


def test_population_covariance_without_l1_is_exact():
    W = _five_node_dag()
    result = notears_linear(cov=population_covariance(W), lambda1=0.0)
    np.testing.assert_array_equal(result.W_est != 0, W != 0)
    np.testing.assert_allclose(result.W_est, W, atol=0.02)  # h <= 1e-8 leaves a small bias


@pytest.mark.parametrize("kind", ["poly", "logdet", "spectral"])
def test_every_acyclicity_function_gives_a_dag(kind):
    W = np.zeros((4, 4))
    W[0, 1], W[1, 2], W[0, 3] = 1.0, -1.2, 0.9
    kw = {"iters": 10} if kind == "spectral" else None  # exact on DAGs with n = 4, and fast
    result = notears_linear(cov=population_covariance(W), acyclicity=kind, max_iter=20, acyclicity_kw=kw)
    assert is_dag(result.W_est)
    assert count_accuracy(W, result.W_est)["tpr"] >= 2 / 3
    if kind != "spectral":  # ρ(W∘W) is not smooth at a DAG; it stalls above h_tol
        assert result.converged


def test_logdet_recovers_from_leaving_its_domain():
    """From W = 0 the first L-BFGS-B steps leave s > ρ(W∘W); the solver must still converge."""
    W = _five_node_dag()
    X = simulate_linear_sem(W, 10_000, seed=0)
    result = notears_linear(X, acyclicity="logdet")
    assert result.converged and result.rho < 1e16
    assert count_accuracy(W, result.W_est)["shd"] == 0


def test_scipy_and_torch_expm_agree():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(6, 6)) * 0.4
    h_scipy, g_scipy = acyclicity_value_and_grad(W, "expm", "auto")
    h_torch, g_torch = acyclicity_value_and_grad(W, "expm", "torch")
    assert h_scipy == pytest.approx(h_torch, rel=1e-10)
    np.testing.assert_allclose(g_scipy, g_torch, rtol=1e-8, atol=1e-12)
    assert h_scipy == pytest.approx(float(h_expm(torch.from_numpy(W))), rel=1e-10)


@pytest.mark.parametrize("kind", ["expm", "poly", "logdet", "spectral"])
def test_gradient_matches_finite_differences(kind):
    rng = np.random.default_rng(1)
    W = rng.normal(size=(4, 4)) * 0.3
    kw = {"iters": 200} if kind == "spectral" else {}
    _, grad = acyclicity_value_and_grad(W, kind, "torch", **kw)
    eps = 1e-6
    for i, j in [(0, 1), (2, 3), (3, 0)]:
        E = np.zeros_like(W)
        E[i, j] = eps
        up, _ = acyclicity_value_and_grad(W + E, kind, "torch", **kw)
        down, _ = acyclicity_value_and_grad(W - E, kind, "torch", **kw)
        assert grad[i, j] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)


def test_bad_inputs():
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match="exactly one of X"):
        notears_linear(X, cov=np.eye(3))
    with pytest.raises(ValueError, match="exactly one of X"):
        notears_linear()
    with pytest.raises(ValueError, match="symmetric"):
        notears_linear(cov=np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match="expm, poly, logdet, spectral"):
        notears_linear(cov=np.eye(3), acyclicity="trace")
