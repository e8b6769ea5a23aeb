"""Training loop: the loss terms of eq. (16)-(18), early stopping, checkpoints, resume, results."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from causalrec.discovery import AugmentedLagrangian
from causalrec.models import build_model
from causalrec.train.batching import (
    crop_padding,
    prefix_batch,
    prefix_samples,
    training_pairs,
    training_users,
)
from causalrec.train.checkpoint import (
    environment,
    load_checkpoint,
    peak_memory_mb,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
    write_json,
)
from causalrec.train.config import ExperimentConfig
from causalrec.train.evaluate import Evaluator
from causalrec.train.losses import recommendation_loss

log = logging.getLogger(__name__)


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite; the message names the term."""


def select_device(preference: str = "auto") -> torch.device:
    """cuda, then mps, then cpu (or exactly what was asked for)."""
    if preference != "auto":
        return torch.device(preference)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Trainer:
    """Trains one model on one dataset; writes checkpoints, metrics and a result JSON.

    ``out_dir`` receives ``checkpoint.pt`` (every epoch), ``best.pt`` (best validation),
    ``metrics.jsonl`` (one line per epoch) and ``result.json`` (at the end).
    """

    def __init__(self, config: ExperimentConfig, data=None, out_dir: str | Path | None = None):
        self.config = config.validate()
        if data is None:
            from causalrec.data import load_dataset

            d = config.data
            data = load_dataset(d.dataset, d.data_dir, min_len=d.min_len, download=d.download,
                                **d.options)
        self.data = data
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.device = select_device(config.train.device)
        tc = config.train
        self.amp = tc.amp == "on" or (tc.amp == "auto" and self.device.type == "cuda")
        seed_everything(tc.seed)
        self.model = build_model(config.model_name, data, config.model, config.baseline)
        self.model = self.model.to(self.device)
        self.forward = self.model
        if tc.compile == "on" or (tc.compile == "auto" and self.device.type == "cuda"):
            self.forward = torch.compile(self.model)
        self.lagrangian = AugmentedLagrangian(**vars(config.lagrangian))
        self.optimizer = None
        if self.model.trainable:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=tc.lr,
                                              betas=(0.9, tc.beta2), weight_decay=tc.weight_decay)
        train_sequences = data.split("train")[0]
        self.train_sequences = train_sequences
        self.prefixes: tuple[np.ndarray, np.ndarray] | None = None
        if tc.train_targets == "last_position":  # one sample per prefix (user, end)
            self.prefixes = prefix_samples(train_sequences)
            self.num_train_samples = len(self.prefixes[0])
        else:  # one sample per user with >= 2 training items
            inputs, targets = training_pairs(train_sequences, config.model.max_len)
            self.train_inputs = torch.from_numpy(inputs)
            self.train_targets = torch.from_numpy(targets)
            self.train_users = torch.from_numpy(training_users(train_sequences))
            self.num_train_samples = len(inputs)
        self.item_weights = None  # ce_sampled: negatives ∝ training count ** sample_alpha
        if tc.loss == "ce_sampled" and tc.sample_alpha:
            counts = np.bincount(np.concatenate(train_sequences), minlength=data.num_items + 1)
            counts[0] = 0
            self.item_weights = torch.from_numpy(counts.astype(np.float64) ** tc.sample_alpha)
        ml, ev = config.model.max_len, tc.eval_batch_size
        self.valid = Evaluator(data, "valid", ml, seed=tc.eval_seed, batch_size=ev)
        self.test = Evaluator(data, "test", ml, seed=tc.eval_seed, batch_size=ev)
        self.state: dict[str, Any] = {"epoch": 0, "best_metric": -1.0, "best_epoch": 0,
                                      "bad_evals": 0, "stopped_early": False, "history": []}

    # ---------------------------------------------------------------- one epoch
    def _autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)

    def _check_finite(self, terms: dict[str, Tensor], epoch: int, step: int) -> None:
        values = torch.stack([t.detach().float() for t in terms.values()])
        if bool(torch.isfinite(values).all()):
            return
        bad = [name for name, t in terms.items() if not bool(torch.isfinite(t.detach()).all())]
        raise NonFiniteLossError(
            f"loss term {bad[0]!r} became {float(terms[bad[0]].detach()):g} at epoch {epoch}, step {step} "
            f"(rho={self.lagrangian.rho:g}, beta={self.lagrangian.beta:g}); all non-finite terms: "
            f"{', '.join(bad)}. Lower rho_max or lambda_l1, or use dag_target='offdiag'."
        )

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over the training users in a seed+epoch order (reproducible on resume)."""
        tc, mc = self.config.train, self.config.model
        self.model.train()
        gen = torch.Generator().manual_seed(tc.seed * 1000 + epoch)
        order = torch.randperm(self.num_train_samples, generator=gen)
        batches = list(order.split(tc.batch_size))
        if tc.max_steps_per_epoch:
            batches = batches[: tc.max_steps_per_epoch]
        sums: dict[str, float] = {}
        bar = tqdm(batches, desc=f"epoch {epoch}", leave=False, disable=not tc.progress)
        for step, idx in enumerate(bar):
            seqs, targets, users = self._batch(idx)
            seqs, targets = crop_padding(seqs, targets)
            seqs = seqs.to(self.device, non_blocking=True)
            targets = targets.to(self.device, non_blocking=True)
            kwargs = {"users": users.to(self.device)} if self.model.uses_user_ids else {}
            with self._autocast():
                enc = self.forward(seqs, **kwargs)
                terms = {"rec": recommendation_loss(self.model, enc.hidden, targets, tc.loss,
                                                    tc.num_negatives, gen, tc.embedding_l2,
                                                    self.item_weights)}
            if enc.discovery_terms:
                h = enc.discovery_terms["h"].float().mean()
                terms["l1"] = mc.lambda_l1 * enc.discovery_terms["l1"].float().mean()
                terms["h"] = h
                terms["dag_penalty"] = self.lagrangian.penalty(h)
                if "sem_ls" in enc.discovery_terms:
                    terms["sem_ls"] = enc.discovery_terms["sem_ls"].float()
            total = sum(v for k, v in terms.items() if k != "h")
            terms["total"] = total
            self._check_finite(terms, epoch, step)
            self.optimizer.zero_grad(set_to_none=True)
            total.backward()
            if tc.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), tc.grad_clip)
            self.optimizer.step()
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach())
            bar.set_postfix(loss=f"{float(total.detach()):.4f}")
        return {k: v / max(len(batches), 1) for k, v in sums.items()}

    def _batch(self, idx: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(inputs (B, max_len), targets (B, max_len), users (B,)) of training samples ``idx``."""
        if self.prefixes is None:
            return self.train_inputs[idx], self.train_targets[idx], self.train_users[idx]
        users, ends = self.prefixes[0][idx.numpy()], self.prefixes[1][idx.numpy()]
        inputs, targets = prefix_batch(self.train_sequences, users, ends, self.config.model.max_len)
        return torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(users)

    # ---------------------------------------------------------------- checkpoints
    def _checkpoint_state(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "state": self.state,
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict() if self.optimizer else None,
                "lagrangian": self.lagrangian.state_dict(), "rng": rng_state()}

    def _resume(self) -> None:
        path = self.out_dir / "checkpoint.pt"
        if not path.exists():
            log.warning("--resume: no checkpoint at %s; starting from scratch", path)
            return
        ckpt = load_checkpoint(path, self.device)
        if ckpt["config"]["model_name"] != self.config.model_name or \
                ckpt["config"]["data"]["dataset"] != self.config.data.dataset:
            raise ValueError(f"checkpoint {path} is for model {ckpt['config']['model_name']} on "
                             f"{ckpt['config']['data']['dataset']}, not this run")
        self.model.load_state_dict(ckpt["model"])
        if self.optimizer and ckpt["optimizer"]:
            self.optimizer.load_state_dict(ckpt["optimizer"])
        self.lagrangian.load_state_dict(ckpt["lagrangian"])
        set_rng_state(ckpt["rng"])
        self.state = ckpt["state"]
        self._truncate_metrics(self.state["epoch"])
        log.info("resumed from %s after epoch %d", path, self.state["epoch"])

    def _truncate_metrics(self, last_epoch: int) -> None:
        """Drop metric lines of epochs after the checkpoint (they will be run again)."""
        path = self.out_dir / "metrics.jsonl"
        if path.exists():
            lines = [ln for ln in path.read_text().splitlines()
                     if ln.strip() and json.loads(ln)["epoch"] <= last_epoch]
            path.write_text("".join(ln + "\n" for ln in lines))

    def _log_epoch(self, record: dict[str, Any]) -> None:
        self.state["history"].append(record)
        if self.out_dir is not None:
            with open(self.out_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")

    # ---------------------------------------------------------------- main entry
    def fit(self, resume: bool = False) -> dict[str, Any]:
        """Train to early stopping (or ``epochs``), evaluate the best model, return the result."""
        tc = self.config.train
        start = time.perf_counter()
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            if resume:
                self._resume()
            elif (self.out_dir / "metrics.jsonl").exists():
                (self.out_dir / "metrics.jsonl").unlink()
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        best_state = None
        best_path = self.out_dir / "best.pt" if self.out_dir is not None else None
        if not self.model.trainable:
            self.model.fit(self.data.split("train")[0])
        while self.model.trainable and self.state["epoch"] < tc.epochs \
                and not self.state["stopped_early"]:
            epoch = self.state["epoch"] + 1
            t0 = time.perf_counter()
            losses = self.train_epoch(epoch)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            seconds = time.perf_counter() - t0
            record: dict[str, Any] = {"epoch": epoch, "seconds": seconds, "loss": losses}
            if "h" in losses:
                self.lagrangian.update(losses["h"])
                record["rho"], record["beta"] = self.lagrangian.rho, self.lagrangian.beta
            if epoch % tc.eval_every == 0 or epoch == tc.epochs:
                metrics = self.valid.evaluate(self.model, tc.eval, self.device)
                record["valid"] = metrics
                if metrics["NDCG@10"] > self.state["best_metric"]:
                    self.state.update(best_metric=metrics["NDCG@10"], best_epoch=epoch, bad_evals=0)
                    best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                    if best_path is not None:
                        save_checkpoint(best_path, best_state)
                else:
                    self.state["bad_evals"] += 1
                    if self.state["bad_evals"] >= tc.patience:
                        self.state["stopped_early"] = True
            self.state["epoch"] = epoch
            self._log_epoch(record)
            log.info("epoch %d: %.1fs loss %.4f valid NDCG@10 %s", epoch, seconds,
                     losses.get("total", float("nan")),
                     f"{record['valid']['NDCG@10']:.4f}" if "valid" in record else "-")
            if self.out_dir is not None:
                save_checkpoint(self.out_dir / "checkpoint.pt", self._checkpoint_state())
        if best_state is None and best_path is not None and best_path.exists():
            best_state = load_checkpoint(best_path, self.device)
        if best_state is not None:
            self.model.load_state_dict(best_state)
        return self._result(time.perf_counter() - start)

    def _result(self, wall: float) -> dict[str, Any]:
        epoch_seconds = [r["seconds"] for r in self.state["history"]]
        result = {
            "model": self.config.model_name,
            "dataset": self.config.data.dataset,
            "data": _jsonable_stats(self.data.stats()),
            "config": self.config.to_dict(),
            "epochs_run": self.state["epoch"],
            "best_epoch": self.state["best_epoch"],
            "stopped_early": self.state["stopped_early"],
            "valid": {m: self.valid.evaluate(self.model, m, self.device)
                      for m in ("sampled100", "full")},
            "test": {m: self.test.evaluate(self.model, m, self.device)
                     for m in ("sampled100", "full")},
            "epoch_seconds": epoch_seconds,
            "mean_epoch_seconds": float(np.mean(epoch_seconds)) if epoch_seconds else None,
            "peak_memory_mb": peak_memory_mb(self.device),
            "wall_seconds": wall,
            "lagrangian": self.lagrangian.state_dict(),
            "num_parameters": sum(p.numel() for p in self.model.parameters()),
            "model_config": _model_config(self.model),
            "train_samples": self.num_train_samples,
            "environment": environment(self.device),
        }
        if self.out_dir is not None:
            write_json(self.out_dir / "result.json", result)
        return result


def _jsonable_stats(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in stats.items()}


def _model_config(model) -> dict[str, Any] | None:
    """The resolved hyperparameters of the model (its config dataclass), for the result JSON."""
    config = getattr(model, "config", None)
    return dataclasses.asdict(config) if dataclasses.is_dataclass(config) else None
