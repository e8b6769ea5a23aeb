"""Side-by-side cost of SASRec and CausalRec: same data, same shapes, one process.

Epochs alternate between the two models (SASRec, CausalRec, SASRec, ...) so that
drift in the machine's speed hits both equally; the first epoch of each is a
warm-up and is not counted. Only training epochs are timed (no evaluation), which
is what the paper's "+0.35 s per epoch" refers to.
"""

from __future__ import annotations

import copy
import statistics
import time
from typing import Any

import torch

from causalrec.train.checkpoint import environment, peak_memory_mb
from causalrec.train.config import ExperimentConfig


def _timed_epoch(trainer, epoch: int) -> float:
    t0 = time.perf_counter()
    trainer.train_epoch(epoch)
    if trainer.device.type == "cuda":
        torch.cuda.synchronize(trainer.device)
    return time.perf_counter() - t0


def run_bench(config: ExperimentConfig, epochs: int = 3, data=None) -> dict[str, Any]:
    """Seconds per epoch of SASRec and CausalRec and their ratio (CausalRec / SASRec)."""
    from causalrec.train.trainer import Trainer

    if epochs < 1:
        raise ValueError(f"epochs={epochs}: need at least 1 timed epoch")
    cfg_cr = copy.deepcopy(config)
    cfg_cr.model_name = "causalrec"
    cfg_sas = copy.deepcopy(config)
    cfg_sas.model_name = "sasrec"
    cfg_sas.model.alpha, cfg_sas.model.boost, cfg_sas.model.discovery = 0.0, "none", False
    cfg_sas.model.attention = "softmax"
    trainers = {"sasrec": Trainer(cfg_sas, data=data)}
    trainers["causalrec"] = Trainer(cfg_cr, data=trainers["sasrec"].data)
    device = trainers["sasrec"].device
    times: dict[str, list[float]] = {name: [] for name in trainers}
    memory: dict[str, float] = {}
    for name, trainer in trainers.items():  # warm-up epoch, then the memory reading
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        _timed_epoch(trainer, 0)
        memory[name] = peak_memory_mb(device)
    for epoch in range(1, epochs + 1):
        for name, trainer in trainers.items():
            times[name].append(_timed_epoch(trainer, epoch))
    sas, cr = statistics.mean(times["sasrec"]), statistics.mean(times["causalrec"])
    m = config.model
    steps = len(trainers["sasrec"].train_inputs) // config.train.batch_size + 1
    if config.train.max_steps_per_epoch:
        steps = min(steps, config.train.max_steps_per_epoch)
    return {
        "dataset": config.data.dataset,
        "shapes": {"batch_size": config.train.batch_size, "max_len": m.max_len, "hidden": m.hidden,
                   "num_layers": m.num_layers, "steps_per_epoch": steps},
        "causalrec_options": {"dag_target": m.dag_target, "acyclicity": m.acyclicity,
                              "cov_mode": m.cov_mode, "boost": m.boost},
        "epochs_timed": epochs,
        "seconds_per_epoch": {"sasrec": sas, "causalrec": cr},
        "epoch_seconds": times,
        "extra_seconds_per_epoch": cr - sas,
        "ratio": cr / sas,
        "peak_memory_mb": memory,
        "peak_memory_note": ("CUDA allocator peak per model" if device.type == "cuda" else
                             "process peak RSS after each model's warm-up epoch (SASRec first, so "
                             "the CausalRec reading is the max of both)"),
        "amp": trainers["sasrec"].amp,
        "environment": environment(device),
    }


def format_bench(result: dict[str, Any]) -> str:
    s = result["seconds_per_epoch"]
    mem = result["peak_memory_mb"]
    shp = result["shapes"]
    return "\n".join([
        f"bench on {result['dataset']} ({result['environment']['device']}, batch {shp['batch_size']}, "
        f"n={shp['max_len']}, D={shp['hidden']}, {shp['num_layers']} layers, "
        f"{shp['steps_per_epoch']} steps/epoch, {result['epochs_timed']} timed epochs)",
        f"  SASRec    {s['sasrec']:.3f} s/epoch   peak memory {mem['sasrec']:.0f} MiB",
        f"  CausalRec {s['causalrec']:.3f} s/epoch   peak memory {mem['causalrec']:.0f} MiB",
        f"  ratio CausalRec/SASRec = {result['ratio']:.3f} "
        f"(+{result['extra_seconds_per_epoch']:.3f} s/epoch; the paper reports +0.35 s/epoch)",
    ])
