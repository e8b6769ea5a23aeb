"""Per-user views of a trained CausalRec: covariance, relation matrix, attention, top-k.

These are what chapters 4 and 7 draw: for one user's history, the covariance W of
eq. (7) computed on that sequence alone, the relation matrix R of eq. (9), the
attention of the last position before and after boosting (eq. 10) and the top-k list
each boost strength produces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from causalrec.models.causalrec import CausalRec
from causalrec.train.batching import crop_padding, pad_left


@dataclass
class UserView:
    """One user's history seen through a trained model at one boost strength alpha."""

    alpha: float
    items: np.ndarray  # (L,) item ids of the history window, oldest first
    covariance: np.ndarray | None  # (L, L) W of eq. (7) on this sequence
    relation: np.ndarray | None  # (L, L) R of eq. (9)
    logits: np.ndarray  # (L,) pre-softmax attention logits of the last position, last layer
    attention: np.ndarray  # (L,) attention of the last position over the history, last layer
    top_items: np.ndarray  # (k,) recommended item ids, history excluded
    top_scores: np.ndarray  # (k,)


def history_window(data, user: int, max_len: int, part: str = "test") -> torch.Tensor:
    """(1, L) item ids of a user's history for ``part`` ("valid" or "test"), cropped."""
    histories, _ = data.split(part)
    return crop_padding(torch.from_numpy(pad_left([histories[user]], max_len)))


@torch.no_grad()
def user_view(model: CausalRec, seq: torch.Tensor, alpha: float, k: int = 10,
              exclude: np.ndarray | None = None) -> UserView:
    """Encode one history (1, L) at boost strength ``alpha`` and read out what it did."""
    model.eval()
    enc = model(seq, alpha=alpha, need_weights=True)
    weights = enc.attention[-1][0].mean(0)[-1]  # (L,) heads averaged, last query row
    logits = _last_layer_logits(model, seq, alpha)
    scores = (model.item_embedding.weight @ enc.hidden[0, -1]).clone()  # (N + 1,)
    scores[0] = float("-inf")
    if exclude is not None and len(exclude):
        scores[torch.as_tensor(exclude, dtype=torch.long)] = float("-inf")
    top = torch.topk(scores, k)
    return UserView(
        alpha=alpha,
        items=seq[0].numpy(),
        covariance=None if enc.covariance is None else enc.covariance.numpy(),
        relation=None if enc.relation is None else enc.relation.numpy(),
        logits=logits,
        attention=weights.numpy(),
        top_items=top.indices.numpy(),
        top_scores=top.values.numpy(),
    )


@torch.no_grad()
def _last_layer_logits(model: CausalRec, seq: torch.Tensor, alpha: float) -> np.ndarray:
    """QKᵀ/√d ⊙ (1 + αR) of the last layer, last query, heads averaged (eq. 10)."""
    e, mask = model.embed(seq)
    relation = model.discover(e, mask)["relation"] if model.discovery_block is not None else None
    x = e
    for layer in model.layers[:-1]:
        x, _ = layer(x, mask, relation if model.config.uses_relation else None, alpha)
    attn = model.layers[-1].attn
    q = attn._heads(attn.query(x))[0, :, -1]  # (h, d)
    k = attn._heads(attn.key(x))[0]  # (h, L, d)
    logits = (k @ q.unsqueeze(-1)).squeeze(-1) / attn.head_dim ** 0.5  # (h, L)
    if relation is not None and attn.boost == "multiply" and model.config.uses_relation:
        logits = logits * (1.0 + alpha * relation[-1])
    return logits.mean(0).numpy()
