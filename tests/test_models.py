"""CausalBoost attention and the CausalRec model: the paper's identities as tests."""

from __future__ import annotations

import math

import pytest
import torch

from causalrec.models import CausalRec, relation_matrix
from causalrec.models.attention import CausalBoostAttention, allowed_pairs
from causalrec.train.config import ConfigError, ModelConfig


def _seqs(batch=4, n=12, items=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    seqs = torch.randint(1, items + 1, (batch, n), generator=g)
    lengths = torch.tensor([n, n - 3, 5, 2])[:batch]
    for row, length in enumerate(lengths):
        seqs[row, : n - length] = 0  # left padding
    return seqs


def _random_relation(n, seed=1, p=0.4):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, n, generator=g) < p).float().tril()


def test_multiply_boost_is_eq10_on_pre_softmax_logits():
    torch.manual_seed(0)
    attn = CausalBoostAttention(16, num_heads=1, dropout=0.0, boost="multiply").eval()
    x = torch.randn(3, 7, 16)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[0, :2] = False
    rel = _random_relation(7)
    alpha = 2.5
    _, weights = attn(x, mask, rel, alpha)
    q, k = attn.query(x), attn.key(x)
    logits = q @ k.transpose(-1, -2) / math.sqrt(16) * (1 + alpha * rel)
    logits = logits.masked_fill(~allowed_pairs(mask)[:, 0], float("-inf"))
    expected = torch.softmax(logits, -1)
    torch.testing.assert_close(weights[:, 0], expected)
    # and the boost does change something
    _, plain = attn(x, mask, rel, 0.0)
    assert not torch.allclose(plain, weights)


def test_weights_never_reach_future_or_padding_and_rows_sum_to_one():
    torch.manual_seed(1)
    for boost in ("multiply", "filter", "none"):
        attn = CausalBoostAttention(8, num_heads=2, dropout=0.0, boost=boost).eval()
        seqs = _seqs()
        mask = seqs > 0
        x = torch.randn(*seqs.shape, 8)
        _, w = attn(x, mask, _random_relation(seqs.shape[1]), 1.0)
        assert torch.isfinite(w).all()
        torch.testing.assert_close(w.sum(-1), torch.ones_like(w.sum(-1)))
        n = seqs.shape[1]
        future = torch.ones(n, n, dtype=torch.bool).triu(1)
        assert (w[..., future] == 0).all()
        for b in range(seqs.shape[0]):
            real_rows = mask[b]
            assert (w[b][:, real_rows][..., ~mask[b]] == 0).all()


def test_filter_gives_zero_weight_where_relation_is_zero():
    torch.manual_seed(2)
    attn = CausalBoostAttention(8, dropout=0.0, boost="filter").eval()
    n = 9
    rel = _random_relation(n, seed=5)
    x = torch.randn(2, n, 8)
    mask = torch.ones(2, n, dtype=torch.bool)
    _, w = attn(x, mask, rel)
    off_diag_zero = (rel == 0) & ~torch.eye(n, dtype=torch.bool)
    assert (w[:, 0][:, off_diag_zero] == 0).all()
    kept = (rel > 0) & torch.ones(n, n, dtype=torch.bool).tril(-1)
    assert (w[:, 0][:, kept] > 0).all()  # softmax is strictly positive where allowed


def test_causal_only_is_row_normalised_relation_plus_identity():
    attn = CausalBoostAttention(8, dropout=0.0, attention="causal_only").eval()
    n = 6
    rel = _random_relation(n, seed=7)
    x = torch.randn(1, n, 8)
    _, w = attn(x, torch.ones(1, n, dtype=torch.bool), rel)
    expected = rel + torch.eye(n)
    expected = expected / expected.sum(-1, keepdim=True)
    torch.testing.assert_close(w[0, 0], expected)


def _sasrec_and_causalrec(alpha, **kw):
    cfg = ModelConfig(hidden=16, max_len=12, dropout=0.0, alpha=alpha, **kw)
    sas_cfg = ModelConfig(hidden=16, max_len=12, dropout=0.0, alpha=0.0, boost="none",
                          discovery=False)
    torch.manual_seed(0)
    sas = CausalRec(30, sas_cfg).eval()
    cr = CausalRec(30, cfg).eval()
    missing, unexpected = cr.load_state_dict(sas.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("discovery") or k.startswith("sem") for k in missing)
    return sas, cr


def test_alpha_zero_reproduces_sasrec_exactly():
    sas, cr = _sasrec_and_causalrec(alpha=0.0)
    seqs = _seqs(items=30)
    with torch.no_grad():
        assert torch.equal(sas.score_all(seqs), cr.score_all(seqs))
        enc = cr(seqs)
        assert enc.relation is not None and enc.relation.sum() > 0  # discovery ran, boost off
    _, cr_boost = _sasrec_and_causalrec(alpha=3.0, tau=0.0)
    with torch.no_grad():
        assert not torch.allclose(sas.score_all(seqs), cr_boost.score_all(seqs))


def test_forward_shapes_and_discovery_terms():
    for dag_target in ("paper", "offdiag", "sem"):
        cfg = ModelConfig(hidden=16, max_len=12, dropout=0.1, dag_target=dag_target)
        model = CausalRec(30, cfg)
        seqs = _seqs(items=30)
        enc = model(seqs)
        assert enc.hidden.shape == (4, 12, 16)
        assert enc.covariance.shape == (12, 12)
        assert enc.relation.shape == (12, 12)
        assert not enc.relation.requires_grad
        assert (enc.relation.triu(1) == 0).all()
        assert set(enc.discovery_terms) >= {"h", "l1"}
        assert model.score_candidates(seqs, torch.randint(1, 31, (4, 101))).shape == (4, 101)
        assert model.score_all(seqs).shape == (4, 31)
    cfg = ModelConfig(hidden=16, max_len=12, cov_mode="sequence")
    enc = CausalRec(30, cfg)(_seqs(items=30))
    assert enc.covariance.shape == (4, 12, 12) and enc.relation.shape == (4, 12, 12)


def test_relation_gradient_is_detached_from_recommendation_path():
    cfg = ModelConfig(hidden=16, max_len=12, dropout=0.0, alpha=2.0, tau=0.0)
    model = CausalRec(30, cfg)
    enc = model(_seqs(items=30))
    enc.hidden.sum().backward()
    grads = [p.grad for p in model.discovery_block.parameters()]
    assert all(g is None or torch.count_nonzero(g) == 0 for g in grads)


def test_relation_matrix_threshold_and_soft():
    w = torch.tensor([[1.0, 0.5, 0.1], [0.5, 1.0, -0.4], [0.1, -0.4, 1.0]])
    hard = relation_matrix(w, 0.3)
    assert torch.equal(hard, torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 1, 1]]))
    soft = relation_matrix(w, 0.3, "soft")
    torch.testing.assert_close(soft, w.abs().tril())


@pytest.mark.parametrize("field,value", [("alpha", -1.0), ("max_len", 1), ("boost", "add"),
                                         ("dag_target", "dense"), ("acyclicity", "trace")])
def test_bad_model_config_names_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        ModelConfig(**{field: value}).validate()


def test_sequence_longer_than_max_len_is_an_error():
    model = CausalRec(30, ModelConfig(hidden=8, max_len=4))
    with pytest.raises(ValueError, match="max_len"):
        model(torch.ones(2, 5, dtype=torch.long))


@pytest.mark.parametrize("dag_target", ["paper", "offdiag", "sem"])
def test_cropping_all_padding_columns_is_exact(dag_target):
    from causalrec.train.batching import crop_padding

    torch.manual_seed(3)
    model = CausalRec(30, ModelConfig(hidden=16, max_len=12, dropout=0.0, alpha=2.0, tau=0.1,
                                      dag_target=dag_target)).eval()
    seqs = _seqs(items=30)
    seqs[:, :4] = 0  # every row padded in the first four columns
    cropped = crop_padding(seqs)
    assert cropped.shape[1] == 8
    with torch.no_grad():
        full, short = model(seqs), model(cropped)
    torch.testing.assert_close(full.hidden[:, 4:], short.hidden)
    torch.testing.assert_close(full.discovery_terms["h"], short.discovery_terms["h"])
    torch.testing.assert_close(full.discovery_terms["l1"], short.discovery_terms["l1"])
    torch.testing.assert_close(full.relation[4:, 4:], short.relation)


@pytest.mark.parametrize("boost", ["none", "filter"])
def test_fused_attention_path_matches_explicit_weights(boost):
    torch.manual_seed(4)
    attn = CausalBoostAttention(16, num_heads=2, dropout=0.0, boost=boost).eval()
    seqs = _seqs()
    x = torch.randn(*seqs.shape, 16)
    rel = _random_relation(seqs.shape[1], seed=9)
    explicit, weights = attn(x, seqs > 0, rel, 1.0, need_weights=True)
    fused, none = attn(x, seqs > 0, rel, 1.0, need_weights=False)
    assert weights is not None and none is None
    torch.testing.assert_close(fused, explicit, rtol=1e-5, atol=1e-5)
