"""The interface every recommender in the package offers to the trainer and the evaluator."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SequentialRecommender(nn.Module):
    """Scores items for the next step of each sequence.

    ``seqs`` is (B, n) int64, left-padded with 0. Subclasses implement
    :meth:`score_all`; :meth:`score_candidates` defaults to gathering from it, and
    models with an embedding dot-product override it to score only the candidates.
    """

    #: False for models with nothing to learn by gradient (e.g. most-popular).
    trainable: bool = True
    #: True for models that need the user (e.g. BPR-MF): the trainer and the evaluator then
    #: pass ``users`` (B,) int64, each row's index into ``SequenceData.sequences``, to
    #: ``forward``, ``score_candidates`` and ``score_all``.
    uses_user_ids: bool = False

    def score_all(self, seqs: Tensor) -> Tensor:
        """(B, num_items + 1) scores; column 0 is padding."""
        raise NotImplementedError

    def score_candidates(self, seqs: Tensor, candidates: Tensor) -> Tensor:
        """(B, C) scores of the candidate item ids (B, C)."""
        return self.score_all(seqs).gather(1, candidates)


class MostPopular(SequentialRecommender):
    """Ranks items by their number of training interactions, whatever the history."""

    trainable = False

    def __init__(self, num_items: int) -> None:
        super().__init__()
        self.register_buffer("counts", torch.zeros(num_items + 1))

    def fit(self, train_sequences: list) -> MostPopular:
        counts = torch.zeros_like(self.counts)
        for seq in train_sequences:
            counts.index_add_(0, torch.as_tensor(seq, dtype=torch.long), torch.ones(len(seq)))
        counts[0] = float("-inf")
        self.counts.copy_(counts)
        return self

    def score_all(self, seqs: Tensor) -> Tensor:
        return self.counts.unsqueeze(0).expand(seqs.shape[0], -1)
