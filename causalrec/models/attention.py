"""CausalBoost attention (paper eq. 9-10) and the transformer block around it (eq. 11-13).

Conventions: sequences are left-padded; ``mask`` is (B, n) bool with True at real
items. Query position i may attend key position j when j <= i and j is a real item.
A padded query attends only to itself, so no row of the softmax is empty (no NaN);
padded outputs are zeroed after every block.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def causal_mask(n: int, device: torch.device | None = None) -> Tensor:
    """(n, n) bool, True where key j <= query i."""
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


def allowed_pairs(mask: Tensor) -> Tensor:
    """(B, 1, n, n) bool: causal, real keys, plus the diagonal (keeps every row non-empty)."""
    n = mask.shape[1]
    causal = causal_mask(n, mask.device)
    eye = torch.eye(n, dtype=torch.bool, device=mask.device)
    return ((causal & mask[:, None, :]) | eye)[:, None]


def relation_weights(relation: Tensor, allowed: Tensor) -> Tensor:
    """Table 4 "w/o Attention": row-normalised (R + I) on the allowed pairs, replacing softmax."""
    n = relation.shape[-1]
    eye = torch.eye(n, dtype=relation.dtype, device=relation.device)
    weights = (relation + eye) * allowed.to(relation.dtype)  # broadcasts (n, n) or (B, 1, n, n)
    return weights / weights.sum(-1, keepdim=True).clamp_min(1e-12)


class CausalBoostAttention(nn.Module):
    """Multi-head self-attention whose logits are boosted by a relation matrix R.

    ``boost="multiply"`` (eq. 10): logits = (QKᵀ/√d) ⊙ (1 + αR), then masked softmax.
    The product acts on *pre-softmax* logits, so a negative logit on a related pair
    becomes more negative: the boost can lower attention as well as raise it.
    ``boost="filter"`` (eq. 22-23): logits = -inf where R = 0 (the diagonal is kept).
    ``boost="none"``: plain causal self-attention (SASRec).
    ``attention="causal_only"``: the weights are row-normalised R + I, no QKᵀ at all.
    """

    def __init__(
        self,
        hidden: int,
        num_heads: int = 1,
        dropout: float = 0.2,
        boost: str = "multiply",
        attention: str = "softmax",
    ) -> None:
        super().__init__()
        if hidden % num_heads:
            raise ValueError(f"hidden={hidden} must be divisible by num_heads={num_heads}")
        self.num_heads = num_heads
        self.head_dim = hidden // num_heads
        self.boost = boost
        self.attention = attention
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_dropout = nn.Dropout(dropout)

    def _heads(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, n, d)

    def forward(
        self,
        x: Tensor,
        mask: Tensor,
        relation: Tensor | None = None,
        alpha: float = 0.0,
        need_weights: bool = True,
    ) -> tuple[Tensor, Tensor | None]:
        """x (B, n, D), mask (B, n), relation (n, n) or (B, n, n) in [0, 1]; returns (out, weights).

        With ``need_weights=False``, attention that is a masked softmax (no boost, alpha = 0,
        or the filter variant, which only masks) runs through PyTorch's fused
        ``scaled_dot_product_attention`` and returns ``weights=None``; the result equals the
        explicit path up to floating-point rounding.
        """
        b, n, hidden = x.shape
        allowed = allowed_pairs(mask)  # (B, 1, n, n)
        v = self._heads(self.value(x))
        rel = None
        if relation is not None:
            rel = relation.to(v.dtype)
            rel = rel.unsqueeze(1) if rel.dim() == 3 else rel  # (B, 1, n, n) or (n, n)
        if rel is not None and self.boost == "filter":
            eye = torch.eye(n, dtype=torch.bool, device=x.device)
            allowed = allowed & ((rel > 0) | eye)
        plain = rel is None or self.boost != "multiply" or alpha == 0.0
        if not need_weights and self.attention == "softmax" and plain:
            q, k = self._heads(self.query(x)), self._heads(self.key(x))
            drop = self.attn_dropout.p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=drop)
            return out.transpose(1, 2).reshape(b, n, hidden), None
        if self.attention == "causal_only":
            if rel is None:
                raise ValueError("attention='causal_only' needs a relation matrix")
            weights = relation_weights(rel, allowed).expand(b, self.num_heads, n, n)
        else:
            q = self._heads(self.query(x))
            k = self._heads(self.key(x))
            logits = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)  # (B, h, n, n)
            if not plain:
                logits = logits * (1.0 + alpha * rel)
            logits = logits.masked_fill(~allowed, float("-inf"))
            weights = torch.softmax(logits, dim=-1)
        out = self.attn_dropout(weights) @ v  # (B, h, n, d)
        out = out.transpose(1, 2).reshape(b, n, hidden)
        return out, weights


class FeedForward(nn.Module):
    """Point-wise feed-forward network (eq. 12): W2 · Dropout(ReLU(W1 x))."""

    def __init__(self, hidden: int, dropout: float) -> None:
        super().__init__()
        self.inner = nn.Linear(hidden, hidden)
        self.outer = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.outer(self.dropout(F.relu(self.inner(x))))


class CausalBoostBlock(nn.Module):
    """One layer (eq. 11-13): S = LN(X + Drop(CBA(X))); F = LN(S + Drop(FFN(S)))."""

    def __init__(
        self,
        hidden: int,
        num_heads: int = 1,
        dropout: float = 0.2,
        boost: str = "multiply",
        attention: str = "softmax",
    ) -> None:
        super().__init__()
        self.attn = CausalBoostAttention(hidden, num_heads, dropout, boost, attention)
        self.ffn = FeedForward(hidden, dropout)
        self.norm_attn = nn.LayerNorm(hidden, eps=1e-8)
        self.norm_ffn = nn.LayerNorm(hidden, eps=1e-8)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: Tensor,
        mask: Tensor,
        relation: Tensor | None = None,
        alpha: float = 0.0,
        need_weights: bool = True,
    ) -> tuple[Tensor, Tensor | None]:
        attended, weights = self.attn(x, mask, relation, alpha, need_weights)
        s = self.norm_attn(x + self.dropout(attended))
        out = self.norm_ffn(s + self.dropout(self.ffn(s)))
        return out * mask.unsqueeze(-1).to(out.dtype), weights
