"""Simulators and metrics: exact edge counts, acyclicity, population covariance, SHD."""

import math

import numpy as np
import pytest

from causalrec.discovery.sem import (
    NotADAGError,
    count_accuracy,
    is_dag,
    population_covariance,
    scale_to_unit_variance,
    simulate_dag,
    simulate_linear_sem,
    simulate_parameter,
    topological_order,
    varsortability,
)


@pytest.mark.parametrize("graph_type", ["ER", "SF"])
@pytest.mark.parametrize("d,s0", [(1, 0), (5, 2), (6, 12), (10, 20), (10, 45), (20, 40), (50, 100)])
def test_exact_edge_count_and_acyclic(graph_type, d, s0):
    for seed in range(3):
        B = simulate_dag(d, s0, graph_type, seed=seed)
        assert B.shape == (d, d)
        assert set(np.unique(B)) <= {0.0, 1.0}
        assert int(B.sum()) == s0
        assert np.all(np.diag(B) == 0)
        assert is_dag(B)


def test_graphs_are_random_and_reproducible():
    assert np.array_equal(simulate_dag(20, 40, "ER", seed=3), simulate_dag(20, 40, "ER", seed=3))
    assert not np.array_equal(simulate_dag(20, 40, "ER", seed=3), simulate_dag(20, 40, "ER", seed=4))


def test_scale_free_has_hubs_er_does_not():
    """Preferential attachment concentrates in-degree (hubs); ER spreads it."""
    sf = max(simulate_dag(50, 100, "SF", seed=s).sum(0).max() for s in range(3))
    er = max(simulate_dag(50, 100, "ER", seed=s).sum(0).max() for s in range(3))
    assert sf >= 12 and er <= 10


def test_bad_graph_arguments():
    with pytest.raises(ValueError, match="ER, SF"):
        simulate_dag(5, 3, "BP")
    with pytest.raises(ValueError, match="d\\(d-1\\)/2 = 10"):
        simulate_dag(5, 11, "ER")


def test_weights_are_on_edges_in_both_ranges():
    B = simulate_dag(30, 120, "ER", seed=0)
    W = simulate_parameter(B, seed=1)
    assert np.array_equal(W != 0, B != 0)
    magnitudes = np.abs(W[B != 0])
    assert magnitudes.min() >= 0.5 and magnitudes.max() <= 2.0
    assert (W > 0).sum() > 30 and (W < 0).sum() > 30


def _chain(d=4, weight=1.0):
    W = np.zeros((d, d))
    for i in range(d - 1):
        W[i, i + 1] = weight  # i -> i+1
    return W


def test_population_covariance_matches_the_sem():
    rng = np.random.default_rng(0)
    W = simulate_parameter(simulate_dag(6, 8, "ER", seed=rng), seed=rng)
    sigma = rng.uniform(0.5, 2.0, size=6)
    S = population_covariance(W, noise_scale=sigma)
    # (I - W)^T S (I - W) = diag(sigma^2), i.e. S = (I - W)^{-T} Sigma (I - W)^{-1}
    I = np.eye(6)
    np.testing.assert_allclose((I - W).T @ S @ (I - W), np.diag(sigma**2), atol=1e-10)
    np.testing.assert_allclose(S, S.T)
    # and a large sample has (close to) that covariance
    X = simulate_linear_sem(W, 200_000, "gauss", sigma, seed=1)
    sample = np.cov(X, rowvar=False)
    assert np.abs(sample - S).max() < 0.03 * np.abs(S).max()


def test_population_covariance_gumbel_and_exponential_noise():
    W = _chain(3, 0.8)
    S = population_covariance(W, sem_type="gumbel")
    assert S[0, 0] == pytest.approx(math.pi**2 / 6)
    for sem_type in ("exp", "gumbel"):
        X = simulate_linear_sem(W, 100_000, sem_type, seed=2)
        np.testing.assert_allclose(np.cov(X, rowvar=False), population_covariance(W, sem_type=sem_type),
                                   atol=0.05 * population_covariance(W, sem_type=sem_type).max())
    assert simulate_linear_sem(W, 10_000, "exp", seed=0)[:, 0].min() >= 0  # exponential noise is >= 0


def test_linear_sem_equal_variance_residuals():
    W = _chain(4, 1.5)
    X = simulate_linear_sem(W, 50_000, seed=3)
    residual = X - X @ W  # the noise
    np.testing.assert_allclose(residual.var(axis=0), np.ones(4), atol=0.03)
    assert X[:, 3].var() > X[:, 0].var() * 5  # variance grows along the chain


def test_linear_sem_rejects_cycles_and_bad_input():
    W = _chain(3)
    W[2, 0] = 1.0
    with pytest.raises(NotADAGError):
        simulate_linear_sem(W, 10)
    with pytest.raises(ValueError, match="gauss, exp, gumbel"):
        simulate_linear_sem(_chain(3), 10, "uniform")
    with pytest.raises(ValueError, match="noise_scale"):
        simulate_linear_sem(_chain(3), 10, noise_scale=-1.0)


def test_topological_order_and_is_dag():
    W = _chain(4)
    assert topological_order(W) == [0, 1, 2, 3]
    assert not is_dag(np.eye(3))  # self-loops are cycles
    assert not is_dag(W + W.T)


def test_shd_counts_a_reversed_edge_once():
    B_true = _chain(3)  # 0 -> 1 -> 2
    reversed_one = B_true.copy()
    reversed_one[0, 1], reversed_one[1, 0] = 0, 1  # now 1 -> 0 and 1 -> 2
    m = count_accuracy(B_true, reversed_one)
    assert m["shd"] == 1
    assert m["tpr"] == 0.5 and m["fdr"] == 0.5 and m["nnz"] == 2
    missing = B_true.copy()
    missing[1, 2] = 0
    assert count_accuracy(B_true, missing)["shd"] == 1
    extra = B_true.copy()
    extra[0, 2] = 1
    m = count_accuracy(B_true, extra)
    assert m["shd"] == 1 and m["fdr"] == pytest.approx(1 / 3) and m["fpr"] == 1.0  # 1 of 1 non-edge
    assert count_accuracy(B_true, B_true) == {"fdr": 0.0, "tpr": 1.0, "fpr": 0.0, "shd": 0, "nnz": 2,
                                              "is_dag": True}
    assert count_accuracy(B_true, B_true.T)["shd"] == 2  # both edges reversed
    assert count_accuracy(B_true, np.zeros((3, 3)))["shd"] == 2


def test_cyclic_estimate_is_not_silently_scored():
    B_true = _chain(3)
    cyclic = B_true.copy()
    cyclic[2, 0] = 1.0
    with pytest.raises(NotADAGError, match="not a DAG"):
        count_accuracy(B_true, cyclic)
    m = count_accuracy(B_true, cyclic, allow_cyclic=True)
    assert m["is_dag"] is False and m["shd"] == 1


def test_varsortability():
    W = _chain(4, 1.0)
    S = population_covariance(W)  # variances 1, 2, 3, 4
    assert varsortability(S, W, covariance=True) == 1.0
    assert varsortability(S, W.T, covariance=True) == 0.0  # the reversed graph: variance decreases
    X = simulate_linear_sem(W, 5_000, seed=0)
    assert varsortability(X, W) == 1.0
    assert varsortability(scale_to_unit_variance(X), W, tol=1e-6) == 0.5  # all ties
    assert math.isnan(varsortability(X, np.zeros((4, 4))))
    with pytest.raises(ValueError, match="covariance"):
        varsortability(X, W, covariance=True)


def test_scale_to_unit_variance():
    X = simulate_linear_sem(_chain(3, 2.0), 1000, seed=0)
    Z = scale_to_unit_variance(X)
    np.testing.assert_allclose(Z.std(axis=0), 1.0)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="constant"):
        scale_to_unit_variance(np.ones((5, 2)))
