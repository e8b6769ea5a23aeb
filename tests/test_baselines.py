"""Baselines of Table 2: shapes, one property of each model, the new losses, and that each learns."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from causalrec.data import SequenceData, make_synthetic
from causalrec.models import build_model
from causalrec.models.base import MostPopular
from causalrec.models.baselines import (
    BPRMF,
    NARM,
    NOT_RERUN,
    STAMP,
    BPRMFConfig,
    BSARec,
    BSARecConfig,
    FrequencyLayer,
    GRU4Rec,
    GRU4RecConfig,
    NARMConfig,
    STAMPConfig,
)
from causalrec.models.baselines.common import additive_attention_logits, run_gru
from causalrec.train import Trainer, quick
from causalrec.train.batching import crop_padding, prefix_batch, prefix_samples, training_users
from causalrec.train.config import ConfigError
from causalrec.train.evaluate import metrics_from_ranks
from causalrec.train.trainer import recommendation_loss

ITEMS, N = 30, 12


def _seqs(batch: int = 4, n: int = N, seed: int = 0) -> torch.Tensor:
    """Left-padded (batch, n) item ids with real lengths n, n - 3, 5, 2."""
    g = torch.Generator().manual_seed(seed)
    seqs = torch.randint(1, ITEMS + 1, (batch, n), generator=g)
    for row, length in enumerate([n, n - 3, 5, 2][:batch]):
        seqs[row, : n - length] = 0
    return seqs


def _model(name: str):
    torch.manual_seed(0)
    models = {
        "gru4rec": lambda: GRU4Rec(ITEMS, GRU4RecConfig(hidden=16)),
        "stamp": lambda: STAMP(ITEMS, STAMPConfig(hidden=16, embedding_std=0.5)),
        "narm": lambda: NARM(ITEMS, NARMConfig(embedding=8, hidden=16)),
        "bsarec": lambda: BSARec(ITEMS, max_len=N + 4, config=BSARecConfig(hidden=16, num_heads=2)),
        "bpr_mf": lambda: BPRMF(ITEMS, num_users=4, config=BPRMFConfig(hidden=8)),
    }
    return models[name]().eval()


def _kwargs(model, batch: int = 4) -> dict:
    return {"users": torch.arange(batch)} if model.uses_user_ids else {}


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize("name", ["gru4rec", "stamp", "narm", "bsarec", "bpr_mf"])
def test_output_shapes_and_scoring_agree(name):
    model = _model(name)
    seqs, kw = _seqs(), _kwargs(model)
    enc = model(seqs, **kw)
    width = model.item_embedding.weight.shape[1]
    assert enc.hidden.shape == (4, N, width) and torch.isfinite(enc.hidden).all()
    assert enc.mask.shape == (4, N)
    full = model.score_all(seqs, **kw)
    assert full.shape == (4, ITEMS + 1)
    cand = torch.randint(1, ITEMS + 1, (4, 7), generator=torch.Generator().manual_seed(1))
    scores = model.score_candidates(seqs, cand, **kw)
    assert scores.shape == (4, 7)
    torch.testing.assert_close(scores, full.gather(1, cand))
    torch.testing.assert_close(model.item_logits(enc.hidden, cand[:, None, :].expand(4, N, 7))[:, -1],
                               scores)


def test_registry_builds_every_model_and_rejects_bad_options():
    data = make_synthetic(num_users=20, num_items=15, seq_len=(4, 8), seed=1)
    for name in ("most_popular", "bpr_mf", "gru4rec", "stamp", "narm", "bsarec", "sasrec"):
        assert build_model(name, data) is not None
    assert isinstance(build_model("most_popular", data), MostPopular)
    assert build_model("gru4rec", data, baseline_options={"hidden": 8}).config.hidden == 8
    with pytest.raises(ValueError, match="no option 'hiddn'.*hidden"):
        build_model("gru4rec", data, baseline_options={"hiddn": 8})
    cfg = quick("synthetic", "narm")
    cfg.baseline = {"droput_embed": 0.1}
    with pytest.raises(ConfigError, match="droput_embed"):
        cfg.validate()
    assert set(NOT_RERUN) == {"causer", "vtrnn"}


# ------------------------------------------------------------------ properties
@pytest.mark.parametrize("name", ["gru4rec", "stamp", "narm"])
def test_causal_models_score_from_the_prefix_only(name):
    """hidden[:, t] does not change when items after t change, nor with more left padding."""
    model = _model(name)
    seqs = _seqs()
    t = N - 4
    changed = seqs.clone()
    changed[:, t + 1:] = torch.randint(1, ITEMS + 1, changed[:, t + 1:].shape)
    changed[seqs == 0] = 0
    before, after = model(seqs).hidden, model(changed).hidden
    torch.testing.assert_close(before[:, : t + 1], after[:, : t + 1])
    assert not torch.allclose(before[:, t + 1:], after[:, t + 1:])
    padded = torch.nn.functional.pad(seqs, (5, 0))
    torch.testing.assert_close(model(padded).hidden[:, 5:], before)


def test_run_gru_on_left_padding_equals_the_unpadded_sequence():
    torch.manual_seed(0)
    gru = torch.nn.GRU(3, 5, batch_first=True)
    x = torch.randn(1, 4, 3)
    expected, _ = gru(x)
    padded = torch.cat([torch.randn(1, 3, 3), x], 1)  # garbage at the padded positions
    mask = torch.tensor([[False] * 3 + [True] * 4])
    out = run_gru(gru, padded, mask)
    torch.testing.assert_close(out[:, 3:], expected)
    assert (out[:, :3] == 0).all()


def test_gru4rec_output_bias_is_the_last_column():
    model = _model("gru4rec")
    with torch.no_grad():
        model.item_embedding.weight[5, -1] = 3.0
    seqs = _seqs()
    h = model(seqs).hidden[:, -1]
    assert torch.equal(h[:, -1], torch.ones(4))
    scores = model.score_all(seqs)
    w = model.item_embedding.weight[5, :-1]
    torch.testing.assert_close(scores[:, 5], h[:, :-1] @ w + 3.0)


def test_narm_attention_sums_to_one_over_real_past_items():
    model = _model("narm")
    seqs = _seqs()
    alpha = model(seqs).attention[0][:, 0]  # (B, n, n)
    mask = seqs > 0
    allowed = torch.ones(N, N, dtype=torch.bool).tril() & mask[:, None, :] & mask[:, :, None]
    assert (alpha[~allowed] == 0).all()
    torch.testing.assert_close(alpha.sum(-1)[mask], torch.ones(int(mask.sum())))
    assert (alpha.sum(-1)[~mask] == 0).all()


def test_stamp_attention_is_unnormalised_on_real_past_items_and_order_free():
    """STAMP's α (official norm_type='none') lives on real items <= t; the session memory
    is a sum and a mean, so the score ignores the order of all items but the last."""
    model = _model("stamp")
    seqs = _seqs()
    enc = model(seqs)
    alpha = enc.attention[0][:, 0]
    mask = seqs > 0
    allowed = torch.ones(N, N, dtype=torch.bool).tril() & mask[:, None, :] & mask[:, :, None]
    assert (alpha[~allowed] == 0).all() and (alpha[allowed] != 0).all()
    assert not torch.allclose(alpha.sum(-1)[mask], torch.ones(int(mask.sum())))
    shuffled = seqs.clone()
    shuffled[0, : N - 1] = seqs[0, : N - 1].flip(0)  # reverse all but the last item
    torch.testing.assert_close(model.score_all(shuffled)[0], model.score_all(seqs)[0])
    swapped = seqs.clone()
    swapped[0, -2:] = seqs[0, -2:].flip(0)  # a different last item changes the score
    assert not torch.allclose(model.score_all(swapped)[0], model.score_all(seqs)[0])


def test_bsarec_frequency_layer_with_high_pass_weight_one_returns_its_input():
    torch.manual_seed(0)
    layer = FrequencyLayer(8, c=3, dropout=0.0)
    x = torch.randn(2, 10, 8)
    with torch.no_grad():
        layer.sqrt_beta.fill_(1.0)
    torch.testing.assert_close(layer.filter(x), x)
    with torch.no_grad():
        layer.sqrt_beta.fill_(0.0)
    low = layer.filter(x)  # only the lowest c // 2 + 1 = 2 frequency bins survive
    spectrum = torch.fft.rfft(low, dim=1, norm="ortho")
    assert spectrum[:, 2:].abs().max() < 1e-5
    constant = torch.ones(2, 10, 8) * torch.randn(1, 1, 8)
    torch.testing.assert_close(layer.filter(constant), constant)


def test_bsarec_is_unchanged_by_cropping_padding_and_not_causal():
    model = _model("bsarec")
    seqs = _seqs()
    full = model(seqs).hidden
    torch.testing.assert_close(model(crop_padding(seqs)).hidden[:, -1], full[:, -1])
    changed = seqs.clone()
    changed[:, -1] = (seqs[:, -1] % ITEMS) + 1  # a later item changes earlier outputs (FFT)
    assert not torch.allclose(model(changed).hidden[0, :-1], full[0, :-1])
    with pytest.raises(ValueError, match="exceeds max_len"):
        model(torch.ones(1, N + 5, dtype=torch.long))


def test_bsarec_exposes_causal_attention_weights():
    model = _model("bsarec")
    weights = model(_seqs(), need_weights=True).attention
    assert len(weights) == 2
    w = weights[0]
    assert w.shape == (4, 2, N + 4, N + 4)
    torch.testing.assert_close(w.sum(-1), torch.ones(4, 2, N + 4))
    assert (w[..., torch.ones(N + 4, N + 4, dtype=torch.bool).triu(1)] == 0).all()
    torch.testing.assert_close(model(_seqs()).hidden, model(_seqs(), need_weights=True).hidden)


def test_bpr_mf_scores_depend_only_on_the_user():
    model = _model("bpr_mf")
    a, b = _seqs(seed=0), _seqs(seed=5)
    users = torch.tensor([0, 1, 2, 3])
    torch.testing.assert_close(model.score_all(a, users), model.score_all(b, users))
    expected = model.user_embedding.weight @ model.item_embedding.weight.T
    torch.testing.assert_close(model.score_all(a, users), expected)
    with pytest.raises(ValueError, match="user ids"):
        model(a)


def test_additive_attention_in_blocks_matches_the_direct_formula():
    torch.manual_seed(0)
    q = torch.randn(3, 9, 5, requires_grad=True)
    k = torch.randn(3, 9, 5, requires_grad=True)
    v = torch.randn(5, requires_grad=True)
    direct = (torch.sigmoid(q[:, :, None] + k[:, None]) @ v).tril()
    grads = torch.autograd.grad(direct.square().sum(), (q, k, v))
    for block, budget in ((1, 10), (4, 2**25), (2, 200)):  # small budgets: checkpointed blocks
        got = additive_attention_logits(q, k, v, torch.sigmoid, block=block, budget=budget)
        torch.testing.assert_close(got, direct)
        for g, ref in zip(torch.autograd.grad(got.square().sum(), (q, k, v)), grads):
            torch.testing.assert_close(g, ref)


# ------------------------------------------------------------------ losses and batching
def _loss_model():
    return BPRMF(5, num_users=2, config=BPRMFConfig(hidden=3))


def test_bpr_loss_is_pairwise_log_sigmoid_and_ignores_padding():
    model = _loss_model()
    hidden = torch.randn(2, 3, 3)
    targets = torch.tensor([[0, 1, 2], [0, 0, 3]])
    gen = torch.Generator().manual_seed(0)
    loss = recommendation_loss(model, hidden, targets, "bpr", 1, gen)
    neg = torch.randint(1, 6, (2, 3, 1), generator=torch.Generator().manual_seed(0))
    emb = model.item_embedding.weight
    s_pos = (emb[targets] * hidden).sum(-1)
    s_neg = (emb[neg[..., 0]] * hidden).sum(-1)
    per = -torch.nn.functional.logsigmoid(s_pos - s_neg)
    valid = targets > 0
    torch.testing.assert_close(loss, per[valid].mean())
    lam = 0.1
    reg = recommendation_loss(model, hidden, targets, "bpr", 1, torch.Generator().manual_seed(0), lam)
    squares = hidden.pow(2).sum(-1) + emb[targets].pow(2).sum(-1) + emb[neg[..., 0]].pow(2).sum(-1)
    torch.testing.assert_close(reg, (per + lam * squares)[valid].mean())


def test_sampled_softmax_uses_shared_negatives_from_the_weights():
    model = _loss_model()
    hidden = torch.randn(2, 3, 3)
    targets = torch.tensor([[0, 1, 2], [0, 0, 3]])
    weights = torch.tensor([0.0, 0, 0, 0, 1.0, 0])  # every negative is item 4
    loss = recommendation_loss(model, hidden, targets, "ce_sampled", 3, torch.Generator(),
                               item_weights=weights)
    emb = model.item_embedding.weight
    pos = (emb[targets] * hidden).sum(-1)
    neg = hidden @ emb[4]
    per = torch.logsumexp(torch.stack([pos, neg, neg, neg], -1), -1) - pos
    torch.testing.assert_close(loss, per[targets > 0].mean())


def test_prefix_samples_give_every_next_item_once():
    seqs = [np.array([5, 6, 7]), np.array([8]), np.array([1, 2])]
    users, ends = prefix_samples(seqs)
    assert users.tolist() == [0, 0, 2] and ends.tolist() == [1, 2, 1]
    inputs, targets = prefix_batch(seqs, users, ends, max_len=3)
    assert inputs.tolist() == [[0, 0, 5], [0, 5, 6], [0, 0, 1]]
    assert targets.tolist() == [[0, 0, 6], [0, 0, 7], [0, 0, 2]]


def test_user_ids_skip_users_without_a_training_pair():
    """Users whose training part has < 2 items give no pair; the ids of the others stay right."""
    sequences = [np.array([1, 2, 3]), np.array([1, 2, 3, 4, 5]), np.array([2, 3, 4, 5])]
    data = SequenceData("tiny", sequences, 9, np.arange(3), np.arange(10), "test")
    assert training_users(data.split("train")[0]).tolist() == [1, 2]
    cfg = quick("synthetic", "bpr_mf")
    cfg.model.max_len, cfg.train.epochs = 5, 1
    trainer = Trainer(cfg, data=data)
    assert trainer.train_users.tolist() == [1, 2]
    seqs, targets, users = trainer._batch(torch.tensor([1, 0]))
    assert users.tolist() == [2, 1]
    assert seqs[0, -1] == 2 and targets[0, -1] == 3  # user 2 trains on items 2 -> 3


def test_trainer_builds_each_objective(synthetic_small):
    train = synthetic_small.split("train")[0]
    gru = Trainer(quick("synthetic", "gru4rec"), data=synthetic_small)
    counts = np.bincount(np.concatenate(train), minlength=synthetic_small.num_items + 1)
    np.testing.assert_allclose(gru.item_weights[1:].numpy(), counts[1:] ** 0.5)
    assert gru.item_weights[0] == 0
    cfg = quick("synthetic", "bsarec")
    cfg.train.max_steps_per_epoch = 1
    bsa = Trainer(cfg, data=synthetic_small)
    assert bsa.prefixes is not None  # one sample per training prefix
    assert bsa.num_train_samples == sum(len(s) - 1 for s in train)
    assert np.isfinite(bsa.train_epoch(1)["rec"])


# ------------------------------------------------------------------ they learn
BASELINES = ("bpr_mf", "gru4rec", "stamp", "narm", "bsarec")


@pytest.fixture(scope="module")
def trained():
    """Every baseline trained with the quick preset on the default synthetic data.

    Models trained on every position are capped at 12 epochs to keep this file short (the
    full quick preset, up to 30 epochs, also stays under two minutes each); BSARec uses the
    quick preset as it is (2 epochs over every training prefix).
    """
    torch.set_num_threads(1)  # module fixtures run before the per-test thread setting
    data = make_synthetic(seed=0)
    out = {}
    for name in ("most_popular", *BASELINES):
        cfg = quick("synthetic", name)
        if cfg.train.train_targets == "every_position":
            cfg.train.epochs = min(cfg.train.epochs, 12)
        t0 = time.perf_counter()
        result = Trainer(cfg, data=data).fit()
        result["seconds"] = time.perf_counter() - t0
        out[name] = result
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gru4rec", "stamp", "narm", "bsarec"])
def test_sequential_baselines_beat_most_popular_in_under_two_minutes(trained, name):
    pop = trained["most_popular"]["test"]["sampled100"]["NDCG@10"]
    got = trained[name]["test"]["sampled100"]["NDCG@10"]
    assert got > pop + 0.01, f"{name} test NDCG@10 {got:.4f} vs most-popular {pop:.4f}"
    assert trained[name]["seconds"] < 120


@pytest.mark.slow
def test_bpr_mf_beats_a_random_ranking(trained):
    random_ndcg = metrics_from_ranks(np.arange(101))["NDCG@10"]  # uniform rank among 101
    got = trained["bpr_mf"]["test"]["sampled100"]["NDCG@10"]
    assert got > 2 * random_ndcg, f"BPR-MF NDCG@10 {got:.4f} vs random {random_ndcg:.4f}"
    assert trained["bpr_mf"]["seconds"] < 120
    assert trained["bpr_mf"]["model_config"] == {"hidden": 64, "init_std": 0.1}
