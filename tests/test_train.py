"""Trainer: learning beats popularity, resume is exact, non-finite losses are named."""

from __future__ import annotations

import json
import time

import pytest
import torch

from causalrec.data import make_synthetic
from causalrec.train import NonFiniteLossError, Trainer, quick
from causalrec.train.trainer import recommendation_loss


def _tiny(model_name="causalrec", **train):
    cfg = quick("synthetic", model_name)
    cfg.model.max_len, cfg.model.hidden = 20, 16
    cfg.train.epochs, cfg.train.batch_size = 2, 64
    for k, v in train.items():
        setattr(cfg.train, k, v)
    return cfg


@pytest.fixture(scope="module")
def synthetic_default():
    return make_synthetic(seed=0)


@pytest.fixture(scope="module")
def trained(synthetic_default):
    """SASRec, CausalRec and most-popular trained with the quick preset on synthetic data."""
    out = {}
    for name in ("most_popular", "sasrec", "causalrec"):
        t0 = time.perf_counter()
        result = Trainer(quick("synthetic", name), data=synthetic_default).fit()
        result["seconds"] = time.perf_counter() - t0
        out[name] = result
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sasrec", "causalrec"])
def test_sequential_models_beat_most_popular_in_under_two_minutes(trained, name):
    pop = trained["most_popular"]["test"]["sampled100"]["NDCG@10"]
    got = trained[name]["test"]["sampled100"]["NDCG@10"]
    assert got > pop + 0.02, f"{name} NDCG@10 {got:.4f} vs most-popular {pop:.4f}"
    assert trained[name]["seconds"] < 120


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path, synthetic_small):
    full = Trainer(_tiny(epochs=3), data=synthetic_small, out_dir=tmp_path / "full").fit()
    # the same run stopped after epoch 1 (as if killed during epoch 2), then resumed
    Trainer(_tiny(epochs=1), data=synthetic_small, out_dir=tmp_path / "cut").fit()
    resumed = Trainer(_tiny(epochs=3), data=synthetic_small, out_dir=tmp_path / "cut").fit(resume=True)
    assert resumed["epochs_run"] == 3
    lines = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2, 3]
    assert resumed["test"]["sampled100"] == full["test"]["sampled100"]
    assert resumed["lagrangian"]["rho"] == full["lagrangian"]["rho"]
    saved = json.loads((tmp_path / "cut" / "result.json").read_text())
    assert saved["epochs_run"] == 3 and len(saved["epoch_seconds"]) == 3
    assert {"git_commit", "torch", "device"} <= set(saved["environment"])
    assert saved["peak_memory_mb"] > 0


def test_non_finite_penalty_stops_with_the_term_named(synthetic_small):
    cfg = _tiny()
    cfg.model.dag_target = "paper"
    cfg.lagrangian.rho = 1e38  # rho/2 * h^2 overflows float32 at once
    with pytest.raises(NonFiniteLossError, match="dag_penalty"):
        Trainer(cfg, data=synthetic_small).fit()


def test_bf16_autocast_path_runs_on_cpu(synthetic_small):
    """The CUDA training path (bf16 autocast) exercised on the CPU."""
    cfg = _tiny(amp="on", epochs=1)
    trainer = Trainer(cfg, data=synthetic_small)
    assert trainer.amp
    losses = trainer.train_epoch(1)
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    assert {"rec", "h", "l1", "dag_penalty", "total"} <= set(losses)


def test_lagrangian_grows_rho_each_epoch_under_paper_target(synthetic_small):
    cfg = _tiny(epochs=3)
    cfg.model.dag_target = "paper"  # h >= n(e-1) never shrinks by 4x: rho grows every epoch
    result = Trainer(cfg, data=synthetic_small).fit()
    assert result["lagrangian"]["rho"] == pytest.approx(1e3)
    assert result["lagrangian"]["beta"] > 0


@pytest.mark.parametrize("kind", ["bce", "bce_full", "ce"])
def test_recommendation_losses_are_finite_and_ignore_padding(kind):
    from causalrec.models import CausalRec
    from causalrec.train.config import ModelConfig

    model = CausalRec(10, ModelConfig(hidden=8, max_len=6, discovery=False, boost="none"))
    hidden = torch.randn(2, 6, 8)
    targets = torch.tensor([[0, 0, 1, 2, 3, 4], [0, 0, 0, 0, 5, 6]])
    gen = torch.Generator().manual_seed(0)
    loss = recommendation_loss(model, hidden, targets, kind, 1, gen)
    hidden2 = hidden.clone()
    hidden2[:, :2] = 1e3  # padded positions must not matter
    gen = torch.Generator().manual_seed(0)
    assert torch.isfinite(loss)
    assert torch.equal(loss, recommendation_loss(model, hidden2, targets, kind, 1, gen))
