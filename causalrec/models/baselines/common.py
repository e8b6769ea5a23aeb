"""Pieces the baselines share: the dot-product scoring interface, a GRU over left-padded
sequences, and additive (Bahdanau-style) attention computed for every query position.

Every baseline encodes a (B, n) left-padded batch into ``hidden`` (B, n, D), where
``hidden[:, t]`` is the model's representation after the item at position t, and scores
item i there as ``<item_embedding[i], hidden[:, t]>``. That is the interface the trainer's
losses (``bce``, ``bpr``, ``bce_full``, ``ce``) and the evaluator use for CausalRec, so the
baselines train and evaluate on exactly the same data, negatives and metrics.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from torch.utils.checkpoint import checkpoint

from causalrec.models.attention import allowed_pairs
from causalrec.models.base import SequentialRecommender


class DotProductRecommender(SequentialRecommender):
    """A recommender whose score of item i after position t is ``<e_i, hidden[:, t]>``.

    Subclasses set ``num_items`` and ``item_embedding`` (an (N + 1, D) table, row 0 padding)
    and implement ``forward(seqs, users=None) -> Encoded`` with ``hidden`` of shape (B, n, D).
    Models that need the user id (``uses_user_ids = True``) receive ``users``, the row
    index of each sequence in ``SequenceData.sequences``.
    """

    num_items: int
    item_embedding: nn.Embedding

    def item_logits(self, hidden: Tensor, items: Tensor) -> Tensor:
        """<e_i, h_t> for item ids ``items`` of shape (B, n) or (B, n, K)."""
        emb = self.item_embedding(items)
        if items.dim() == hidden.dim() - 1:
            return (emb * hidden).sum(-1)
        return (emb * hidden.unsqueeze(-2)).sum(-1)

    def _user_kwargs(self, users: Tensor | None) -> dict:
        if self.uses_user_ids:
            if users is None:
                raise ValueError(f"{type(self).__name__} scores need the user ids (users=...)")
            return {"users": users}
        return {}

    def final_hidden(self, seqs: Tensor, users: Tensor | None = None) -> Tensor:
        """(B, D) representation after the most recent item (the last position)."""
        return self.forward(seqs, **self._user_kwargs(users)).hidden[:, -1]

    def score_candidates(self, seqs: Tensor, candidates: Tensor, users: Tensor | None = None) -> Tensor:
        h = self.final_hidden(seqs, users)  # (B, D)
        return (self.item_embedding(candidates) * h.unsqueeze(1)).sum(-1)  # (B, C)

    def score_all(self, seqs: Tensor, users: Tensor | None = None) -> Tensor:
        return self.final_hidden(seqs, users) @ self.item_embedding.weight.T  # (B, N + 1)


def run_gru(gru: nn.GRU, x: Tensor, mask: Tensor) -> Tensor:
    """Run ``gru`` (batch_first) over left-padded inputs x (B, n, I); returns (B, n, H).

    Each sequence starts from a zero state at its first real item, as if the padding
    were not there: rows are shifted to be right-padded, packed, run and shifted back.
    Outputs at padded positions are zero. ``hidden[:, t]`` depends only on items <= t.
    """
    b, n, _ = x.shape
    lengths = mask.sum(1)  # (B,)
    shift = (n - lengths)[:, None]  # leading padding of each row
    steps = torch.arange(n, device=x.device)[None]
    to_left = ((steps + shift) % n).unsqueeze(-1)  # (B, n, 1)
    x_left = x.gather(1, to_left.expand_as(x))
    packed = pack_padded_sequence(x_left, lengths.clamp_min(1).cpu(), batch_first=True,
                                  enforce_sorted=False)
    out, _ = gru(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=n)  # (B, n, H), right-padded
    back = ((steps - shift) % n).unsqueeze(-1)
    out = out.gather(1, back.expand(-1, -1, out.shape[-1]))
    return out * mask.unsqueeze(-1).to(out.dtype)


def _additive_logits(queries: Tensor, keys: Tensor, vector: Tensor,
                     activation: Callable[[Tensor], Tensor]) -> Tensor:
    # (B, c, 1, H) + (B, 1, m, H) -> (B, c, m, H) -> (B, c, m)
    return activation(queries.unsqueeze(2) + keys.unsqueeze(1)) @ vector


def additive_attention_logits(queries: Tensor, keys: Tensor, vector: Tensor,
                              activation: Callable[[Tensor], Tensor] = torch.sigmoid,
                              block: int = 4, budget: int = 2**25) -> Tensor:
    """(B, n, n) logits ``v · act(q_t + k_j)`` for every query t and key j <= t (0 above).

    ``queries`` and ``keys`` are (B, n, H), already projected. The (B, n, n, H) tensor
    in the middle is built for blocks of ``block`` query positions against their causal
    keys only (about half the pairs); when a block exceeds ``budget`` elements it is
    smaller, and while gradients are on, blocks are checkpointed whenever the whole
    computation would hold more than ``budget`` elements, so memory stays bounded for
    long windows (n = 200) and large batches.
    """
    b, n, h = keys.shape
    block = max(1, min(block, budget // max(1, b * n * h)))
    save_memory = torch.is_grad_enabled() and b * n * (n + block) * h // 2 > budget
    parts = []
    for start in range(0, n, block):
        stop = min(n, start + block)
        args = (queries[:, start:stop], keys[:, :stop], vector, activation)
        if save_memory:
            part = checkpoint(_additive_logits, *args, use_reentrant=False)  # (B, c, stop)
        else:
            part = _additive_logits(*args)
        parts.append(nn.functional.pad(part, (0, n - stop)))
    return torch.cat(parts, 1).tril()


def masked_softmax_rows(logits: Tensor, mask: Tensor) -> Tensor:
    """(B, n, n) softmax of each query row over its real keys j <= t; padded rows are 0."""
    allowed = allowed_pairs(mask)[:, 0]  # (B, n, n): causal, real keys, plus the diagonal
    weights = torch.softmax(logits.masked_fill(~allowed, float("-inf")), -1)
    return weights * mask.unsqueeze(-1).to(weights.dtype)
