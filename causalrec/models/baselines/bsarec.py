"""BSARec: self-attention mixed with a learnable low/high-pass filter in the frequency domain.

Source: Shin, Choi, Wi, Park, "An Attentive Inductive Bias for Sequential Recommendation
beyond the Self-Attention", AAAI 2024; defaults from the official code
(github.com/yehjin-shin/BSARec: ``src/utils.py`` ``parse_args``, ``src/model/_modules.py``,
and the logged arguments of its best LastFM run, ``src/output/BSARec_LastFM_best.log``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from causalrec.models.attention import allowed_pairs
from causalrec.models.baselines.common import DotProductRecommender
from causalrec.models.causalrec import Encoded


@dataclass
class BSARecConfig:
    """Defaults of the official code (its best LastFM run uses the same values).

    ``hidden_size`` 64, ``num_hidden_layers`` 2, ``num_attention_heads`` 1 (the README's
    and the LastFM log's value; ``parse_args`` defaults to 2), ``hidden_act`` gelu,
    ``hidden_dropout_prob`` = ``attention_probs_dropout_prob`` = 0.5,
    ``initializer_range`` 0.02, ``c`` 3, ``alpha`` 0.9. Its window ``max_seq_length`` 50 is
    the presets' ``max_len`` for ``bsarec``; its optimiser (Adam lr 0.001, betas 0.9/0.999,
    batch 256) and loss (softmax cross-entropy at the last position of every training
    prefix) are the presets' training defaults for ``bsarec``.
    """

    hidden: int = 64
    num_layers: int = 2
    num_heads: int = 1
    dropout: float = 0.5
    attention_dropout: float = 0.5
    init_range: float = 0.02
    c: int = 3  # frequency cut-off: the lowest c // 2 + 1 rfft bins are "low"
    alpha: float = 0.9  # weight of the frequency branch; 1 - alpha for self-attention

    def validate(self) -> None:
        if self.hidden % self.num_heads:
            raise ValueError(f"BSARecConfig: hidden={self.hidden} not divisible by "
                             f"num_heads={self.num_heads}")
        if self.num_layers < 1 or self.c < 0 or not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"BSARecConfig: num_layers >= 1, c >= 0, 0 <= alpha <= 1 (got {self})")
        for name in ("dropout", "attention_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"BSARecConfig: {name}={getattr(self, name)} must be in [0, 1)")


class FrequencyLayer(nn.Module):
    """The "beyond self-attention" branch: LN(x + Drop(LPF(x) + β ⊙ HPF(x))).

    LPF keeps the lowest ``c // 2 + 1`` bins of the real FFT along the sequence axis;
    HPF(x) = x - LPF(x); β = ``sqrt_beta``² is learned per channel. With β = 1 the
    filter returns its input unchanged.
    """

    def __init__(self, hidden: int, c: int, dropout: float) -> None:
        super().__init__()
        self.cutoff = c // 2 + 1
        self.sqrt_beta = nn.Parameter(torch.randn(1, 1, hidden))
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)

    def low_pass(self, x: Tensor) -> Tensor:
        """(B, n, D): x with every rfft bin >= cut-off removed (orthonormal FFT over n)."""
        n = x.shape[1]
        spectrum = torch.fft.rfft(x.float(), dim=1, norm="ortho")  # (B, n // 2 + 1, D)
        keep = torch.arange(spectrum.shape[1], device=x.device) < self.cutoff
        spectrum = spectrum * keep[None, :, None]
        return torch.fft.irfft(spectrum, n=n, dim=1, norm="ortho").to(x.dtype)

    def filter(self, x: Tensor) -> Tensor:
        """LPF(x) + β ⊙ HPF(x), before dropout, residual and LayerNorm."""
        low = self.low_pass(x)
        return low + self.sqrt_beta**2 * (x - low)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.dropout(self.filter(x)) + x)


class BSARecAttention(nn.Module):
    """The official ``MultiHeadAttention``: causal self-attention, output projection,
    dropout, residual and LayerNorm. Padded queries attend only to themselves (the official
    additive -1e4 mask lets them attend uniformly); real queries are unaffected."""

    def __init__(self, hidden: int, num_heads: int, dropout: float, attention_dropout: float):
        super().__init__()
        self.num_heads, self.head_dim = num_heads, hidden // num_heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_dropout = nn.Dropout(attention_dropout)
        self.dense = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)

    def _heads(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, n, d)

    def forward(self, x: Tensor, mask: Tensor, need_weights: bool) -> tuple[Tensor, Tensor | None]:
        b, n, hidden = x.shape
        allowed = allowed_pairs(mask)  # (B, 1, n, n)
        q, k, v = self._heads(self.query(x)), self._heads(self.key(x)), self._heads(self.value(x))
        weights = None
        if need_weights:
            logits = (q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)).masked_fill(~allowed, -math.inf)
            weights = torch.softmax(logits, -1)  # (B, h, n, n)
            out = self.attention_dropout(weights) @ v
        else:
            drop = self.attention_dropout.p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=drop)
        out = self.dense(out.transpose(1, 2).reshape(b, n, hidden))
        return self.norm(self.dropout(out) + x), weights


class FeedForward(nn.Module):
    """The official ``FeedForward``: LN(x + Drop(W_2 GELU(W_1 x))), inner size 4 D."""

    def __init__(self, hidden: int, dropout: float) -> None:
        super().__init__()
        self.inner = nn.Linear(hidden, 4 * hidden)
        self.outer = nn.Linear(4 * hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x + self.dropout(self.outer(F.gelu(self.inner(x)))))


class BSARecBlock(nn.Module):
    """alpha · FrequencyLayer(x) + (1 - alpha) · Attention(x), then the feed-forward."""

    def __init__(self, config: BSARecConfig) -> None:
        super().__init__()
        self.alpha = config.alpha
        self.frequency = FrequencyLayer(config.hidden, config.c, config.dropout)
        self.attention = BSARecAttention(config.hidden, config.num_heads, config.dropout,
                                         config.attention_dropout)
        self.feed_forward = FeedForward(config.hidden, config.dropout)

    def forward(self, x: Tensor, mask: Tensor, need_weights: bool) -> tuple[Tensor, Tensor | None]:
        attended, weights = self.attention(x, mask, need_weights)
        mixed = self.alpha * self.frequency(x) + (1.0 - self.alpha) * attended
        return self.feed_forward(mixed), weights


class BSARec(DotProductRecommender):
    """E = Drop(LN(M[o] + P)) over a fixed window of ``max_len``; L BSARec blocks; score = <e_i, h>.

    The FFT runs over the whole window, padding included, so a position's output
    depends on later positions too: BSARec is not causal, which is why it trains on the
    last position of every prefix (``train_targets="last_position"``), as its official
    data loader does. Inputs shorter than the window are left-padded back to ``max_len``
    so cropping padding columns never changes the result. ``Encoded.attention`` holds the
    self-attention weights of each block, (B, h, max_len, max_len), when
    ``need_weights=True``.
    """

    def __init__(self, num_items: int, max_len: int, config: BSARecConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or BSARecConfig()
        config.validate()
        self.num_items, self.max_len = num_items, max_len
        d = config.hidden
        self.item_embedding = nn.Embedding(num_items + 1, d, padding_idx=0)
        self.position_embedding = nn.Embedding(max_len, d)
        self.norm = nn.LayerNorm(d, eps=1e-12)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(BSARecBlock(config) for _ in range(config.num_layers))
        self._init_weights()

    def _init_weights(self) -> None:
        """The official ``init_weights``: N(0, initializer_range) for Linear and Embedding."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0.0, self.config.init_range)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    def forward(self, seqs: Tensor, users: Tensor | None = None, need_weights: bool = False) -> Encoded:
        n = seqs.shape[1]
        if n > self.max_len:
            raise ValueError(f"sequence length {n} exceeds max_len={self.max_len}")
        seqs = F.pad(seqs, (self.max_len - n, 0))  # (B, max_len): the filter sees the full window
        mask = seqs > 0
        positions = torch.arange(self.max_len, device=seqs.device)
        x = self.dropout(self.norm(self.item_embedding(seqs) + self.position_embedding(positions)))
        attention = []
        for block in self.blocks:
            x, weights = block(x, mask, need_weights)
            attention.append(weights)
        return Encoded(hidden=x[:, -n:], mask=mask[:, -n:], attention=attention)
