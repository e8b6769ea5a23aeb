"""Leave-one-out evaluation (paper §5.1.3): sampled-100 negatives and full ranking.

Ranks are 0-based and pessimistic on ties: the held-out item's rank is the number of
other candidates scoring *at least* as high, so a model that gives every item the same
score ranks last, not first. With one relevant item, NDCG@k = 1/log2(rank + 2) when
rank < k, else 0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import torch
from torch import Tensor

from causalrec.models.base import SequentialRecommender
from causalrec.train.batching import crop_padding, pad_left

log = logging.getLogger(__name__)

CUTOFFS = (5, 10, 20)
PARTS = {"valid": 0, "test": 1}


def metrics_from_ranks(ranks: np.ndarray | Tensor, cutoffs: Iterable[int] = CUTOFFS) -> dict[str, float]:
    """HR@k, NDCG@k and MRR from 0-based ranks of the single relevant item."""
    r = np.asarray(ranks, dtype=np.float64)
    if r.size == 0:
        raise ValueError("no ranks to average: the evaluation set is empty")
    out: dict[str, float] = {}
    for k in cutoffs:
        hit = r < k
        out[f"HR@{k}"] = float(hit.mean())
        out[f"NDCG@{k}"] = float(np.where(hit, 1.0 / np.log2(r + 2.0), 0.0).mean())
    out["MRR"] = float((1.0 / (r + 1.0)).mean())
    return out


def rank_of_first(scores: Tensor) -> Tensor:
    """0-based pessimistic rank of column 0 among the columns of ``scores`` (B, C)."""
    target = scores[:, :1]
    return (scores[:, 1:] >= target).sum(1)


def sample_negatives(
    user_items: list[np.ndarray], num_items: int, k: int, rng: np.random.Generator
) -> np.ndarray:
    """(U, k) item ids drawn uniformly, without replacement, from items each user never had.

    When a user has fewer than k unseen items, they are drawn with replacement (logged).
    """
    out = np.empty((len(user_items), k), dtype=np.int64)
    short = 0
    for u, seen in enumerate(user_items):
        seen = np.unique(seen)
        unseen_count = num_items - len(seen)
        if unseen_count <= 0:
            raise ValueError(f"user {u} has interacted with every item: no negatives to sample")
        if unseen_count < k:
            short += 1
            pool = np.setdiff1d(np.arange(1, num_items + 1), seen)
            out[u] = rng.choice(pool, size=k, replace=True)
            continue
        chosen: np.ndarray = np.empty(0, dtype=np.int64)
        while len(chosen) < k:
            draw = rng.integers(1, num_items + 1, size=2 * k + len(seen) // 4)
            draw = draw[~np.isin(draw, seen)]
            chosen = np.concatenate([chosen, draw])
            _, first = np.unique(chosen, return_index=True)
            chosen = chosen[np.sort(first)]
        out[u] = chosen[:k]
    if short:
        log.warning("%d users have fewer than %d unseen items: negatives drawn with replacement",
                    short, k)
    return out


class Evaluator:
    """Scores the held-out item of every user for one split ("valid" or "test").

    The negatives are drawn once, from ``seed`` and the split, so every model evaluated
    with the same seed sees exactly the same candidates.
    """

    def __init__(
        self,
        data,
        part: str,
        max_len: int,
        num_negatives: int = 100,
        seed: int = 2026,
        batch_size: int = 512,
    ) -> None:
        if part not in PARTS:
            raise ValueError(f"part={part!r}; choose one of: {', '.join(PARTS)}")
        histories, targets = data.split(part)
        self.part = part
        self.num_items = data.num_items
        self.batch_size = batch_size
        self.inputs = torch.from_numpy(pad_left(histories, max_len))  # (U, n)
        self.targets = torch.as_tensor(np.asarray(targets, dtype=np.int64))  # (U,)
        self.user_items = [np.asarray(s, dtype=np.int64) for s in data.sequences]
        # History to exclude in full ranking: everything the user saw before the target.
        self.histories = [np.asarray(h, dtype=np.int64) for h in histories]
        rng = np.random.default_rng([seed, PARTS[part]])
        self.negatives = torch.from_numpy(
            sample_negatives(self.user_items, self.num_items, num_negatives, rng)
        )

    def _batches(self):
        for start in range(0, len(self.targets), self.batch_size):
            yield slice(start, start + self.batch_size)

    @torch.no_grad()
    def ranks(self, model: SequentialRecommender, mode: str = "sampled100",
              device: torch.device | str = "cpu") -> np.ndarray:
        """0-based rank of each user's held-out item under ``mode`` ("sampled100" or "full")."""
        was_training = model.training
        model.eval()
        out = []
        try:
            for sl in self._batches():
                seqs = crop_padding(self.inputs[sl]).to(device)
                target = self.targets[sl].to(device)
                users = {}
                if getattr(model, "uses_user_ids", False):  # row index of each user in data.sequences
                    users = {"users": torch.arange(len(self.targets))[sl].to(device)}
                if mode == "sampled100":
                    cand = torch.cat([target[:, None], self.negatives[sl].to(device)], 1)
                    scores = model.score_candidates(seqs, cand, **users).float()  # (B, 101)
                elif mode == "full":
                    scores = model.score_all(seqs, **users).float()  # (B, N + 1)
                    scores = self._exclude_history(scores, sl, target)
                    own = scores.gather(1, target[:, None])
                    out.append(((scores >= own).sum(1) - 1).cpu())  # minus the target itself
                    continue
                else:
                    raise ValueError(f"mode={mode!r}; choose sampled100 or full")
                out.append(rank_of_first(scores).cpu())
        finally:
            model.train(was_training)
        return torch.cat(out).numpy()

    def _exclude_history(self, scores: Tensor, sl: slice, target: Tensor) -> Tensor:
        """Full ranking: padding and every earlier item of the user (except the target) -> -inf."""
        hist = self.histories[sl]
        rows = np.repeat(np.arange(len(hist)), [len(h) for h in hist])
        cols = np.concatenate(hist) if len(hist) else np.empty(0, dtype=np.int64)
        scores = scores.clone()
        tgt = scores.gather(1, target[:, None])
        scores[torch.from_numpy(rows).to(scores.device), torch.from_numpy(cols).to(scores.device)] = (
            float("-inf")
        )
        scores[:, 0] = float("-inf")
        scores.scatter_(1, target[:, None], tgt)
        return scores

    def evaluate(self, model: SequentialRecommender, mode: str = "sampled100",
                 device: torch.device | str = "cpu") -> dict[str, float]:
        """HR/NDCG@{5,10,20} and MRR for this split."""
        return metrics_from_ranks(self.ranks(model, mode, device))
