"""Eq. (7): positional covariance, padding, and Cov(AV) = A Cov(V) Aᵀ."""

import pytest
import torch
import torch.nn.functional as F

from causalrec.discovery import batch_covariance, sequence_covariance


def _left_padded_batch(batch=6, n=7, dim=8, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(batch, n, dim, generator=gen, dtype=dtype)
    # random lengths in 0..n-1 so that position 0 is padding in every sequence
    lengths = torch.randint(0, n, (batch,), generator=gen)
    lengths[0] = n - 1
    positions = torch.arange(n)
    mask = positions.unsqueeze(0) >= (n - lengths).unsqueeze(1)  # (B, n), left padding
    return z, mask


def _naive_batch_covariance(z, mask, eps=1e-5):
    batch, n, dim = z.shape
    z_tilde = F.layer_norm(z, (dim,), eps=eps)
    W = torch.zeros(n, n, dtype=z.dtype)
    for i in range(n):
        for j in range(n):
            total, count = 0.0, 0
            for k in range(batch):
                if mask[k, i] and mask[k, j]:
                    total += float(z_tilde[k, i] @ z_tilde[k, j]) / dim
                    count += 1
            W[i, j] = total / count if count else 0.0
    return W


def test_batch_covariance_matches_naive_loop():
    z, mask = _left_padded_batch()
    W = batch_covariance(z, mask)
    assert W.shape == (7, 7)
    torch.testing.assert_close(W, _naive_batch_covariance(z, mask), atol=1e-6, rtol=0)
    # position 0 is padding everywhere: its row and column are exactly 0
    assert torch.all(W[0] == 0) and torch.all(W[:, 0] == 0)


def test_padded_positions_do_not_contribute():
    z, mask = _left_padded_batch(seed=1)
    garbage = z.clone()
    garbage[~mask] = 1e3 * torch.randn(int((~mask).sum()), z.shape[-1], dtype=z.dtype)
    torch.testing.assert_close(batch_covariance(garbage, mask), batch_covariance(z, mask))
    torch.testing.assert_close(sequence_covariance(garbage, mask), sequence_covariance(z, mask))


def test_batch_covariance_symmetric_unit_diagonal_on_real_positions():
    z, mask = _left_padded_batch(seed=2, dim=32)
    W = batch_covariance(z, mask)
    torch.testing.assert_close(W, W.T)
    real = mask.any(dim=0)
    diag = W.diagonal()
    torch.testing.assert_close(diag[real], torch.ones(int(real.sum()), dtype=W.dtype), atol=1e-4, rtol=0)
    assert torch.all(diag[~real] == 0)
    assert W.abs().max() <= 1 + 1e-12  # Cauchy–Schwarz on standardised rows


def test_sequence_covariance_matches_per_sequence():
    z, mask = _left_padded_batch(seed=3)
    Ws = sequence_covariance(z, mask)
    assert Ws.shape == (6, 7, 7)
    for k in range(z.shape[0]):
        real = mask[k]
        zk = F.layer_norm(z[k, real], (z.shape[-1],), eps=1e-5)
        expected = torch.zeros(7, 7, dtype=z.dtype)
        idx = real.nonzero().squeeze(-1)
        expected[idx.unsqueeze(1), idx.unsqueeze(0)] = zk @ zk.T / z.shape[-1]
        torch.testing.assert_close(Ws[k], expected)


def test_batch_is_count_weighted_mean_of_sequence_covariances():
    z, mask = _left_padded_batch(seed=4)
    m = mask.double()
    counts = m.T @ m
    mean = sequence_covariance(z, mask).sum(0) / counts.clamp_min(1)
    torch.testing.assert_close(batch_covariance(z, mask), mean)


def test_batch_covariance_gradient_flows_only_to_real_rows():
    z, mask = _left_padded_batch(seed=5)
    z.requires_grad_(True)
    batch_covariance(z, mask).sum().backward()
    assert torch.all(z.grad[~mask] == 0)
    assert z.grad[mask].abs().sum() > 0


def test_shape_errors_name_the_input():
    z, mask = _left_padded_batch()
    with pytest.raises(ValueError, match="mask"):
        batch_covariance(z, mask[:, :-1])
    with pytest.raises(ValueError, match="z must have shape"):
        batch_covariance(z[0], mask)


def test_cov_of_linear_attention_output():
    """Z = A V with A fixed (n×n): empirical Cov(Z) = A Cov(V) Aᵀ over positions."""
    gen = torch.Generator().manual_seed(0)
    n, samples = 5, 4000
    A = torch.randn(n, n, generator=gen, dtype=torch.float64).tril()
    A = torch.softmax(A.masked_fill(A == 0, -torch.inf), dim=-1)  # causal attention weights
    L = torch.randn(n, n, generator=gen, dtype=torch.float64)
    V = torch.randn(samples, n, generator=gen, dtype=torch.float64) @ L.T  # rows i.i.d.
    Z = V @ A.T  # z = A v for each sample
    cov = lambda X: (X - X.mean(0)).T @ (X - X.mean(0)) / (X.shape[0] - 1)  # noqa: E731
    torch.testing.assert_close(cov(Z), A @ cov(V) @ A.T, atol=1e-10, rtol=1e-10)
    # and the sample covariance approaches the population one, A L Lᵀ Aᵀ
    torch.testing.assert_close(cov(Z), A @ L @ L.T @ A.T, atol=0.25, rtol=0.1)


def test_eq7_without_layernorm_is_congruent_under_attention():
    """The bilinear form of eq. (7) (normalize=False) satisfies W(AV) = A W(V) Aᵀ."""
    gen = torch.Generator().manual_seed(1)
    batch, n, dim = 16, 6, 4
    A = torch.randn(n, n, generator=gen, dtype=torch.float64)
    V = torch.randn(batch, n, dim, generator=gen, dtype=torch.float64)
    mask = torch.ones(batch, n, dtype=torch.bool)
    Z = A @ V  # (B, n, D)
    W_z = batch_covariance(Z, mask, normalize=False)
    W_v = batch_covariance(V, mask, normalize=False)
    torch.testing.assert_close(W_z, A @ W_v @ A.T)
    torch.testing.assert_close(
        sequence_covariance(Z, mask, normalize=False),
        A @ sequence_covariance(V, mask, normalize=False) @ A.T,
    )
