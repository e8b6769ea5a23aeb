"""BPR-MF: matrix factorisation trained with the BPR pairwise loss (not sequential).

Source: Rendle, Freudenthaler, Gantner, Schmidt-Thieme, "BPR: Bayesian Personalized
Ranking from Implicit Feedback", UAI 2009 (the paper's "BPR" row of Table 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from causalrec.models.baselines.common import DotProductRecommender
from causalrec.models.causalrec import Encoded


@dataclass
class BPRMFConfig:
    """Hyperparameters of BPR-MF.

    ``hidden``: the BPR paper reports 8 to 128 factors (its Fig. 6) and fixes none; we
    use 64, the D every model of the comparison has. ``init_std`` 0.1 is the reference
    implementation's (MyMediaLite ``BPRMF``: InitMean 0, InitStdDev 0.1). The L2
    regulariser lambda of BPR-Opt (MyMediaLite RegU = RegI = 0.0025) is the trainer's
    ``embedding_l2``, set by the presets for ``bpr_mf``; the loss is ``bpr``.
    """

    hidden: int = 64
    init_std: float = 0.1

    def validate(self) -> None:
        if self.hidden < 1 or self.init_std <= 0:
            raise ValueError(f"BPRMFConfig: hidden >= 1 and init_std > 0 required (got {self})")


class BPRMF(DotProductRecommender):
    """x_ui = <p_u, q_i>: one latent vector per user and per item (eq. of §4.3 of the paper).

    ``forward`` ignores the item sequence except for its shape and mask: every position
    of user u carries p_u, so the trainer's next-item pairs become BPR's (u, i) positives
    and the ``bpr`` loss with uniform negatives j is LearnBPR's -ln σ(x_ui - x_uj).
    """

    uses_user_ids = True

    def __init__(self, num_items: int, num_users: int, config: BPRMFConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or BPRMFConfig()
        config.validate()
        self.num_items, self.num_users = num_items, num_users
        self.user_embedding = nn.Embedding(num_users, config.hidden)  # P
        self.item_embedding = nn.Embedding(num_items + 1, config.hidden, padding_idx=0)  # Q
        nn.init.normal_(self.user_embedding.weight, 0.0, config.init_std)
        nn.init.normal_(self.item_embedding.weight, 0.0, config.init_std)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    def forward(self, seqs: Tensor, users: Tensor | None = None) -> Encoded:
        """hidden (B, n, D) = p_u at every position of user u's row (padding is never scored)."""
        if users is None:
            raise ValueError("BPR-MF needs the user ids: forward(seqs, users=...)")
        if users.shape != seqs.shape[:1]:
            raise ValueError(f"users has shape {tuple(users.shape)}; expected ({seqs.shape[0]},)")
        hidden = self.user_embedding(users)[:, None, :].expand(-1, seqs.shape[1], -1)  # (B, n, D)
        return Encoded(hidden=hidden, mask=seqs > 0)
