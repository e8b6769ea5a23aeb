"""Recommendation losses (eq. 16-17 and the baselines' objectives) over encoded positions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

#: Largest (rows, N + 1) block of full-catalogue logits held at once; larger losses are
#: summed over row chunks with activation checkpointing (exact, bounded memory).
FULL_LOGITS_BUDGET = 2**25


def _ce_rows(h: Tensor, weight: Tensor, targets: Tensor) -> Tensor:
    """Summed softmax cross-entropy of rows h (P, D) against all items; padding excluded."""
    logits = (h @ weight.T).float()  # (P, N + 1)
    logits[:, 0] = float("-inf")
    return F.cross_entropy(logits, targets, reduction="sum")


def _bce_full_rows(h: Tensor, weight: Tensor, targets: Tensor) -> Tensor:
    """Summed eq. (17) over all items for rows h (P, D): the target positive, the rest negative."""
    logits = (h @ weight.T).float()[:, 1:]  # (P, N)
    labels = torch.zeros_like(logits)
    labels.scatter_(1, (targets - 1)[:, None], 1.0)
    return F.binary_cross_entropy_with_logits(logits, labels, reduction="sum")


def _full_catalogue_loss(rows_fn, h: Tensor, weight: Tensor, targets: Tensor) -> Tensor:
    """Mean over rows of ``rows_fn``, in chunks when the logits would exceed the budget."""
    rows = h.shape[0]
    chunk = max(1, FULL_LOGITS_BUDGET // weight.shape[0])
    if rows <= chunk:
        return rows_fn(h, weight, targets) / max(rows, 1)
    total = h.new_zeros((), dtype=torch.float32)
    for start in range(0, rows, chunk):
        part = (h[start:start + chunk], weight, targets[start:start + chunk])
        if torch.is_grad_enabled():
            total = total + checkpoint(rows_fn, *part, use_reentrant=False)
        else:
            total = total + rows_fn(*part)
    return total / rows


def recommendation_loss(model, hidden: Tensor, targets: Tensor, kind: str, num_negatives: int,
                        generator: torch.Generator, embedding_l2: float = 0.0,
                        item_weights: Tensor | None = None) -> Tensor:
    """Eq. (17) and variants, averaged over real positions (targets > 0).

    ``bce``: one positive and ``num_negatives`` uniform negatives per position (SASRec);
    ``bpr``: -ln σ(s+ - s-) averaged over the ``num_negatives`` uniform negatives (BPR-Opt,
    Rendle et al. 2009); ``bce_full``: positive vs every other item; ``ce``: softmax
    cross-entropy over all items; ``ce_sampled``: softmax cross-entropy over the target and
    ``num_negatives`` negatives shared by the whole batch, drawn with replacement from
    ``item_weights`` (N + 1,) or uniformly (GRU4Rec's official loss; no correction for
    accidental hits, as there). ``embedding_l2`` adds BPR-Opt's λ(‖h‖² + ‖e+‖² + Σ‖e-‖²)
    per position (for the full-catalogue losses: λ(‖h‖² + ‖e+‖²)).
    """
    valid = targets > 0  # (B, n)
    count = valid.sum().clamp_min(1)
    if kind == "ce_sampled":
        if item_weights is not None:
            neg = torch.multinomial(item_weights.float().cpu(), num_negatives, replacement=True,
                                    generator=generator)
        else:
            neg = torch.randint(1, model.num_items + 1, (num_negatives,), generator=generator)
        neg = neg.to(targets.device)
        pos_logit = model.item_logits(hidden, targets).float()  # (B, n)
        neg_logit = (hidden @ model.item_embedding(neg).T).float()  # (B, n, K)
        all_logits = torch.cat([pos_logit.unsqueeze(-1), neg_logit], -1)
        per_pos = torch.logsumexp(all_logits, -1) - pos_logit
        if embedding_l2:
            squares = hidden.float().pow(2).sum(-1) + model.item_embedding(targets).float().pow(2).sum(-1)
            per_pos = per_pos + embedding_l2 * squares
        return (per_pos * valid).sum() / count
    if kind in ("bce", "bpr"):
        b, n = targets.shape
        neg = torch.randint(1, model.num_items + 1, (b, n, num_negatives), generator=generator)
        neg = neg.to(targets.device)
        pos_logit = model.item_logits(hidden, targets).float()  # (B, n)
        neg_logit = model.item_logits(hidden, neg).float()  # (B, n, K)
        if kind == "bce":  # -log σ(s+) - Σ log(1 - σ(s-))
            per_pos = F.softplus(-pos_logit) + F.softplus(neg_logit).sum(-1)
        else:  # -log σ(s+ - s-), mean over the K negatives
            per_pos = F.softplus(neg_logit - pos_logit.unsqueeze(-1)).mean(-1)
        if embedding_l2:
            squares = (hidden.float().pow(2).sum(-1) + model.item_embedding(targets).float().pow(2).sum(-1)
                       + model.item_embedding(neg).float().pow(2).sum((-1, -2)))
            per_pos = per_pos + embedding_l2 * squares
        return (per_pos * valid).sum() / count
    h = hidden[valid]  # (P, D)
    tgt = targets[valid]
    weight = model.item_embedding.weight
    if kind == "ce":
        loss = _full_catalogue_loss(_ce_rows, h, weight, tgt)
    elif kind == "bce_full":
        loss = _full_catalogue_loss(_bce_full_rows, h, weight, tgt)
    else:
        raise ValueError(f"loss={kind!r}; choose bce, bpr, bce_full, ce or ce_sampled")
    if embedding_l2:
        squares = h.float().pow(2).sum(-1) + model.item_embedding(tgt).float().pow(2).sum(-1)
        loss = loss + embedding_l2 * squares.mean()
    return loss
