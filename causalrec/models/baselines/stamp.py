"""STAMP: short-term attention/memory priority model.

Source: Liu, Zeng, Mokhosi, Zhang, "STAMP: Short-Term Attention/Memory Priority Model for
Session-based Recommendation", KDD 2018; defaults from the official code
(github.com/uestcnlp/STAMP: ``config/nn_param.conf`` section ``stamp_rsc``,
``model/STAMP_rsc.py``, ``basic_layer/FwNn3AttLayer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from causalrec.models.attention import allowed_pairs
from causalrec.models.baselines.common import DotProductRecommender, additive_attention_logits
from causalrec.models.causalrec import Encoded


@dataclass
class STAMPConfig:
    """Defaults of the official ``stamp_rsc`` configuration.

    ``edim`` 100 (``hidden``), weights ~ N(0, 0.05²) (``stddev``), item embeddings ~
    N(0, 0.002²) (``emb_stddev``), input embeddings looked up with ``max_norm=1``,
    sigmoid attention activation. Its optimiser settings (Adam lr 0.003, gradient norm
    clipped at 150) are the ``paper`` preset's training defaults for ``stamp``; its loss
    is softmax cross-entropy (``ce``).
    ``add_mean_to_memory``: the official code adds m_s to the attended memory m_a before
    the MLP (``attout = attout + pool_out``); the paper's eq. (6) does not.
    """

    hidden: int = 100
    init_std: float = 0.05
    embedding_std: float = 0.002
    max_norm: float | None = 1.0
    add_mean_to_memory: bool = True

    def validate(self) -> None:
        if self.hidden < 1 or self.init_std <= 0 or self.embedding_std <= 0:
            raise ValueError(f"STAMPConfig: hidden >= 1 and positive std required (got {self})")


class STAMP(DotProductRecommender):
    """Eq. (4)-(9) of the paper, at every position t of the sequence at once.

    With x_i the embedding of item i of the prefix and x_t the last one:
    m_s = mean_i x_i; α_ti = w_0ᵀ σ(W_1 x_i + W_2 x_t + W_3 m_s + b_a) (not normalised:
    the official attention layer uses ``norm_type='none'``); m_a = Σ_i α_ti x_i;
    h_s = tanh(W_s m_a + b_s), h_t = tanh(W_t x_t + b_t); score(j) = <h_s ⊙ h_t, x_j>.
    The paper wraps the trilinear product in a sigmoid before the softmax; the official
    code feeds the product itself to the softmax cross-entropy, as here (the ranking is
    the same either way). ``Encoded.attention`` holds α as [(B, 1, n, n)], 0 at future and
    padded keys.
    """

    def __init__(self, num_items: int, config: STAMPConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or STAMPConfig()
        config.validate()
        self.num_items = num_items
        d = config.hidden
        self.item_embedding = nn.Embedding(num_items + 1, d, padding_idx=0)
        self.key = nn.Linear(d, d, bias=False)  # W_1 (applied to x_i)
        self.last = nn.Linear(d, d, bias=False)  # W_2 (applied to x_t)
        self.mean = nn.Linear(d, d, bias=True)  # W_3 and b_a
        self.attention_vector = nn.Parameter(torch.empty(d))  # w_0
        self.mlp_session = nn.Linear(d, d)  # W_s, b_s
        self.mlp_last = nn.Linear(d, d)  # W_t, b_t
        self._init_weights()

    def _init_weights(self) -> None:
        cfg = self.config
        with torch.no_grad():
            nn.init.normal_(self.item_embedding.weight, 0.0, cfg.embedding_std)
            self.item_embedding.weight[0].zero_()
            for module in (self.key, self.last, self.mean, self.mlp_session, self.mlp_last):
                nn.init.normal_(module.weight, 0.0, cfg.init_std)
                if module.bias is not None:
                    module.bias.zero_()
            nn.init.normal_(self.attention_vector, 0.0, cfg.init_std)

    def _inputs(self, seqs: Tensor) -> Tensor:
        """Input embeddings, rescaled to norm <= max_norm (TF ``embedding_lookup(max_norm=1)``)."""
        x = self.item_embedding(seqs)  # (B, n, D)
        if self.config.max_norm is not None:
            norm = x.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            x = x * (self.config.max_norm / norm).clamp(max=1.0)
        return x

    def forward(self, seqs: Tensor, users: Tensor | None = None) -> Encoded:
        mask = seqs > 0
        m = mask.unsqueeze(-1).to(torch.float32)
        x = self._inputs(seqs) * m  # (B, n, D)
        count = mask.cumsum(1).clamp_min(1).unsqueeze(-1).to(x.dtype)
        m_s = x.cumsum(1) / count  # (B, n, D): mean of the prefix ending at t
        queries = self.last(x) + self.mean(m_s)  # W_2 x_t + W_3 m_s + b_a
        logits = additive_attention_logits(queries, self.key(x), self.attention_vector,
                                           torch.sigmoid)  # (B, n, n)
        alpha = logits * allowed_pairs(mask)[:, 0].to(logits.dtype) * m  # real query rows only
        m_a = alpha @ x  # (B, n, D)
        if self.config.add_mean_to_memory:
            m_a = m_a + m_s
        h_s = torch.tanh(self.mlp_session(m_a))
        h_t = torch.tanh(self.mlp_last(x))
        hidden = h_s * h_t * m  # (B, n, D)
        return Encoded(hidden=hidden, mask=mask, attention=[alpha.unsqueeze(1)])
