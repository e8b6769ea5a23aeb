"""GRU4Rec: a GRU over the item sequence, scoring the next item from its hidden state.

Sources: Hidasi, Karatzoglou, Baltrunas, Tikk, "Session-based Recommendations with
Recurrent Neural Networks", ICLR 2016; Hidasi & Karatzoglou, "Recurrent Neural Networks
with Top-k Gains for Session-based Recommendations", CIKM 2018; defaults from the
official PyTorch code (github.com/hidasib/GRU4Rec_PyTorch_Official, ``gru4rec_pytorch.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from causalrec.models.baselines.common import DotProductRecommender, run_gru
from causalrec.models.causalrec import Encoded


@dataclass
class GRU4RecConfig:
    """Defaults of the official code's ``GRU4Rec.__init__``.

    ``layers=[100]`` (one GRU layer of 100 units), ``dropout_p_embed=0``,
    ``dropout_p_hidden=0``, ``constrained_embedding=True`` (the input embedding of an
    item is its output weight vector, so the table is shared) and an output bias ``By``.
    Its loss, ``cross-entropy`` over the target and ``n_sample=2048`` negatives shared by
    the mini-batch and drawn ∝ popularity ** ``sample_alpha=0.5``, is the presets' objective
    for ``gru4rec`` (``loss="ce_sampled"``). Not kept: the mini-batch's other targets as
    extra negatives, its Adagrad optimiser (lr 0.05) and session-parallel mini-batches of
    64; the trainer's Adam and batches of whole user sequences are used, which give the
    same next-item pairs.
    """

    hidden: int = 100
    num_layers: int = 1
    dropout_embed: float = 0.0
    dropout_hidden: float = 0.0
    output_bias: bool = True

    def validate(self) -> None:
        if self.hidden < 1 or self.num_layers < 1:
            raise ValueError(f"GRU4RecConfig: hidden and num_layers must be >= 1 (got {self})")
        for name in ("dropout_embed", "dropout_hidden"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"GRU4RecConfig: {name}={getattr(self, name)} must be in [0, 1)")


def _uniform_(tensor: Tensor, fan_in: int, fan_out: int) -> None:
    """The official code's ``_init_numpy_weights``: U(-s, s), s = sqrt(6 / (fan_in + fan_out))."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    nn.init.uniform_(tensor, -bound, bound)


class GRU4Rec(DotProductRecommender):
    """h_t = GRU(e_{o_t}, h_{t-1}); score(i | o_1..o_t) = <w_i, h_t> + b_i.

    The output bias b_i is stored as the last column of the shared item table and
    ``hidden`` carries a constant 1 in its last column, so ``<item_embedding[i], hidden>``
    is exactly <w_i, h_t> + b_i and the trainer's losses apply unchanged. The input
    embedding uses the first ``hidden`` columns (the constrained embedding).
    """

    def __init__(self, num_items: int, config: GRU4RecConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GRU4RecConfig()
        config.validate()
        self.num_items = num_items
        h = config.hidden
        width = h + 1 if config.output_bias else h
        self.item_embedding = nn.Embedding(num_items + 1, width, padding_idx=0)  # [W_y | B_y]
        self.embed_dropout = nn.Dropout(config.dropout_embed)
        self.gru = nn.GRU(h, h, num_layers=config.num_layers, batch_first=True,
                          dropout=config.dropout_hidden if config.num_layers > 1 else 0.0)
        self.hidden_dropout = nn.Dropout(config.dropout_hidden)
        self._init_weights()

    def _init_weights(self) -> None:
        h = self.config.hidden
        with torch.no_grad():
            _uniform_(self.item_embedding.weight[:, :h], self.num_items, h)
            if self.config.output_bias:
                self.item_embedding.weight[:, h].zero_()
            self.item_embedding.weight[0].zero_()
            for name, param in self.gru.named_parameters():
                if name.startswith("weight"):  # (3H, in): one (in, H) matrix per gate
                    for gate in param.chunk(3, 0):
                        _uniform_(gate, gate.shape[1], gate.shape[0])
                else:
                    param.zero_()

    def forward(self, seqs: Tensor, users: Tensor | None = None) -> Encoded:
        """hidden (B, n, H [+1]): the GRU state after each position, zero at padding."""
        mask = seqs > 0
        h = self.config.hidden
        x = self.embed_dropout(self.item_embedding(seqs)[..., :h])  # (B, n, H)
        states = self.hidden_dropout(run_gru(self.gru, x, mask))  # (B, n, H)
        if self.config.output_bias:
            ones = mask.unsqueeze(-1).to(states.dtype)
            states = torch.cat([states, ones], -1)  # (B, n, H + 1)
        return Encoded(hidden=states, mask=mask)
