"""The full CausalRec model (paper §4). With alpha=0 and no discovery block it is SASRec."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from causalrec.discovery import (
    SEMAdjacency,
    batch_covariance,
    dag_matrix,
    dag_penalty_terms,
    sequence_covariance,
)
from causalrec.models.attention import CausalBoostBlock, causal_mask
from causalrec.models.base import SequentialRecommender
from causalrec.train.config import ModelConfig


@dataclass
class Encoded:
    """What one forward pass produces."""

    hidden: Tensor  # (B, n, D) output of the last CBA layer
    mask: Tensor  # (B, n) True at real items
    covariance: Tensor | None = None  # W of eq. (7): (n, n) or (B, n, n)
    dag: Tensor | None = None  # the matrix h() is applied to (W, offdiag W, or B for "sem")
    relation: Tensor | None = None  # R of eq. (9), detached
    discovery_terms: dict[str, Tensor] = field(default_factory=dict)  # h, l1, sem_ls
    attention: list[Tensor | None] = field(default_factory=list)  # (B, h, n, n) per CBA layer


def relation_matrix(dag: Tensor, tau: float, kind: str = "hard") -> Tensor:
    """Eq. (9): R = 1[|W_dag| > tau] on the causal mask (key j <= query i); detached.

    ``dag[a, b]`` relates positions a and b; for the symmetric covariance targets the
    orientation does not matter, for "sem" ``B[j, i]`` (j causes i) boosts query i, key j,
    so callers pass ``B.transpose(-1, -2)``. ``kind="soft"`` uses |W_dag| itself.
    """
    with torch.no_grad():
        strength = dag.detach().abs()
        rel = (strength > tau).to(strength.dtype) if kind == "hard" else strength
        return rel * causal_mask(dag.shape[-1], dag.device).to(rel.dtype)


class CausalRec(SequentialRecommender):
    """Embedding (eq. 14), discovery block (§4.1), CBA layers (eq. 9-13), prediction (eq. 15)."""

    def __init__(self, num_items: int, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ModelConfig()
        config.validate()
        self.num_items = num_items
        d = config.hidden
        self.item_embedding = nn.Embedding(num_items + 1, d, padding_idx=0)  # M
        self.position_embedding = nn.Embedding(config.max_len, d)  # P
        self.embedding_dropout = nn.Dropout(config.dropout)
        self.discovery_block: CausalBoostBlock | None = None
        self.sem: SEMAdjacency | None = None
        if config.discovery:
            self.discovery_block = CausalBoostBlock(
                d, config.num_heads, config.discovery_dropout, boost="none", attention="softmax"
            )
            if config.dag_target == "sem":
                if config.cov_mode != "batch":
                    raise ValueError("dag_target='sem' needs cov_mode='batch'")
                self.sem = SEMAdjacency(config.max_len)
        self.layers = nn.ModuleList(
            CausalBoostBlock(d, config.num_heads, config.dropout, config.boost, config.attention)
            for _ in range(config.num_layers)
        )
        self._init_weights()

    def _init_weights(self) -> None:
        for name, param in self.named_parameters():
            if param.dim() >= 2 and "sem" not in name:
                nn.init.xavier_normal_(param)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    # ------------------------------------------------------------------ encoding
    def embed(self, seqs: Tensor) -> tuple[Tensor, Tensor]:
        """Eq. (14): E = Dropout(M[o] + P), padding zeroed. Returns (E (B, n, D), mask (B, n))."""
        n, max_len = seqs.shape[1], self.config.max_len
        if n > max_len:
            raise ValueError(f"sequence length {n} exceeds max_len={max_len}")
        mask = seqs > 0
        # Positions are right-aligned to the window: the most recent item is always at
        # max_len - 1, so a batch cropped of its all-padding columns encodes identically.
        positions = torch.arange(max_len - n, max_len, device=seqs.device)
        e = self.item_embedding(seqs) + self.position_embedding(positions)[None]  # (B, n, D)
        e = self.embedding_dropout(e) * mask.unsqueeze(-1).to(e.dtype)
        return e, mask

    def discover(self, e: Tensor, mask: Tensor) -> dict[str, Tensor]:
        """§4.1: Z = block(E); W by eq. (7); its DAG matrix, R (eq. 9) and penalty terms."""
        cfg = self.config
        if cfg.discovery_input == "detached":
            e = e.detach()
        z, _ = self.discovery_block(e, mask, need_weights=False)  # (B, n, D)
        with torch.autocast(device_type=z.device.type, enabled=False):
            z = z.float()
            if cfg.cov_mode == "batch":
                cov = batch_covariance(z, mask)  # (n, n)
            else:
                cov = sequence_covariance(z, mask)  # (B, n, n)
            if cfg.dag_target == "sem":
                n, pad = cov.shape[-1], cfg.max_len - cov.shape[-1]
                cov = F.pad(cov, (pad, 0, pad, 0))  # B covers the full window
                terms = dag_penalty_terms(cov, "sem", cfg.acyclicity, sem=self.sem)
                cov = cov[-n:, -n:]
                dag = self.sem.adjacency.transpose(-1, -2)[-n:, -n:]
            else:
                terms = dag_penalty_terms(cov, cfg.dag_target, cfg.acyclicity)
                dag = dag_matrix(cov, cfg.dag_target)
        relation = relation_matrix(dag, cfg.tau, cfg.relation)
        return {"covariance": cov, "dag": dag, "relation": relation, "terms": terms}

    def forward(
        self, seqs: Tensor, alpha: float | None = None, need_weights: bool = False
    ) -> Encoded:
        """Encode (B, n) left-padded item ids (n <= max_len).

        ``alpha`` overrides the configured boost; ``need_weights`` keeps every layer's
        attention weights in ``Encoded.attention`` (else fused attention may be used).
        """
        alpha = self.config.alpha if alpha is None else alpha
        e, mask = self.embed(seqs)
        out = Encoded(hidden=e, mask=mask)
        if self.discovery_block is not None:
            found = self.discover(e, mask)
            out.covariance, out.dag = found["covariance"], found["dag"]
            out.relation, out.discovery_terms = found["relation"], found["terms"]
        relation = out.relation if self.config.uses_relation else None
        x = e
        for layer in self.layers:
            x, weights = layer(x, mask, relation, alpha, need_weights)
            out.attention.append(weights)
        out.hidden = x
        return out

    # ------------------------------------------------------------------ prediction
    def item_logits(self, hidden: Tensor, items: Tensor) -> Tensor:
        """Eq. (15): <e_i, h_t> for item ids ``items`` of shape (B, n) or (B, n, K)."""
        emb = self.item_embedding(items)
        if items.dim() == hidden.dim() - 1:
            return (emb * hidden).sum(-1)
        return (emb * hidden.unsqueeze(-2)).sum(-1)

    def final_hidden(self, seqs: Tensor, alpha: float | None = None) -> Tensor:
        """(B, D) representation after the most recent item (the last position)."""
        return self.forward(seqs, alpha).hidden[:, -1]

    def score_candidates(self, seqs: Tensor, candidates: Tensor) -> Tensor:
        h = self.final_hidden(seqs)  # (B, D)
        return (self.item_embedding(candidates) * h.unsqueeze(1)).sum(-1)  # (B, C)

    def score_all(self, seqs: Tensor) -> Tensor:
        return self.final_hidden(seqs) @ self.item_embedding.weight.T  # (B, N + 1)
