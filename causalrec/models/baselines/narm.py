"""NARM: neural attentive recommendation machine (GRU encoder + item-level attention).

Source: Li, Ren, Chen, Ren, Lian, Ma, "Neural Attentive Session-based Recommendation",
CIKM 2017; defaults from the official code (github.com/lijingsdu/sessionRec_NARM,
``NARM.py``: ``train_gru`` arguments and ``build_model``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from causalrec.models.baselines.common import (
    DotProductRecommender,
    additive_attention_logits,
    masked_softmax_rows,
    run_gru,
)
from causalrec.models.causalrec import Encoded


@dataclass
class NARMConfig:
    """Defaults of the official ``train_gru``: ``dim_proj=50`` item embedding,
    ``hidden_units=100`` GRU units, dropout 0.25 on the embeddings and 0.5 on the
    concatenated representation. Its optimiser (Adam lr 0.001) is the ``paper`` preset's
    training default for ``narm``; its loss is softmax cross-entropy (``ce``).
    """

    embedding: int = 50
    hidden: int = 100
    dropout_embed: float = 0.25
    dropout_hidden: float = 0.5

    def validate(self) -> None:
        if self.embedding < 1 or self.hidden < 1:
            raise ValueError(f"NARMConfig: embedding and hidden must be >= 1 (got {self})")
        for name in ("dropout_embed", "dropout_hidden"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"NARMConfig: {name}={getattr(self, name)} must be in [0, 1)")


class NARM(DotProductRecommender):
    """Global encoder c_g = h_t (last GRU state); local encoder c_l = Σ_j α_tj h_j with
    α_tj = softmax_j(vᵀ σ(A_1 h_j + A_2 h_t)) over the real items j <= t; the session is
    c_t = [c_l; c_g] and score(i) = emb_iᵀ B c_t (bilinear decoder, eq. 9 of the paper).

    ``hidden`` is B c_t (B, n, embedding), so the trainer's dot-product losses apply.
    Like the official code, the attention weights are normalised over real items; the
    official GRU and attention use Theano's hard sigmoid where the paper (and this
    module) use the logistic sigmoid. ``Encoded.attention`` holds α as [(B, 1, n, n)].
    """

    def __init__(self, num_items: int, config: NARMConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or NARMConfig()
        config.validate()
        self.num_items = num_items
        e, h = config.embedding, config.hidden
        self.item_embedding = nn.Embedding(num_items + 1, e, padding_idx=0)
        self.embed_dropout = nn.Dropout(config.dropout_embed)
        self.gru = nn.GRU(e, h, batch_first=True)
        self.encoder_proj = nn.Linear(h, h, bias=False)  # A_1 (W_encoder), on h_j
        self.decoder_proj = nn.Linear(h, h, bias=False)  # A_2 (W_decoder), on h_t
        self.attention_vector = nn.Parameter(torch.empty(h))  # v (bl_vector)
        self.hidden_dropout = nn.Dropout(config.dropout_hidden)
        self.bilinear = nn.Linear(2 * h, e, bias=False)  # B (bili): |e| x 2|H|
        self._init_weights()

    def _init_weights(self) -> None:
        """The official ``init_weights``: N(0, 2 / shape[0]); orthogonal recurrent weights."""
        e, h = self.config.embedding, self.config.hidden

        def normal(t: Tensor, fan: int) -> None:
            nn.init.normal_(t, 0.0, math.sqrt(2.0 / fan))

        with torch.no_grad():
            normal(self.item_embedding.weight, self.num_items)
            self.item_embedding.weight[0].zero_()
            normal(self.encoder_proj.weight, h)
            normal(self.decoder_proj.weight, h)
            normal(self.attention_vector, 1)
            normal(self.bilinear.weight, e)
            normal(self.gru.weight_ih_l0, e)
            for gate in self.gru.weight_hh_l0.chunk(3, 0):
                nn.init.orthogonal_(gate)
            self.gru.bias_ih_l0.zero_()
            self.gru.bias_hh_l0.zero_()

    def forward(self, seqs: Tensor, users: Tensor | None = None) -> Encoded:
        mask = seqs > 0
        x = self.embed_dropout(self.item_embedding(seqs))  # (B, n, E)
        states = run_gru(self.gru, x, mask)  # (B, n, H), h_j after item j
        logits = additive_attention_logits(self.decoder_proj(states), self.encoder_proj(states),
                                           self.attention_vector, torch.sigmoid)  # (B, n, n)
        alpha = masked_softmax_rows(logits, mask)  # rows sum to 1 over real j <= t
        local = alpha @ states  # (B, n, H)
        session = self.hidden_dropout(torch.cat([local, states], -1))  # (B, n, 2H)
        hidden = self.bilinear(session) * mask.unsqueeze(-1).to(session.dtype)  # (B, n, E)
        return Encoded(hidden=hidden, mask=mask, attention=[alpha.unsqueeze(1)])
