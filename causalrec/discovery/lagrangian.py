"""Augmented-Lagrangian schedule for the acyclicity constraint (paper eq. 18).

The loss carries ``ρ/2 · h² + β · h`` (eq. 16–18).  After every epoch, with
``κ`` the mean of ``h`` over that epoch (DESIGN §4):

1. ``β ← β + ρ κ``                      (dual ascent, with the ρ of the finished epoch)
2. ``ρ ← min(γ₁ ρ, ρ_max)`` if ``κ ≥ γ₂ κ⁻``   (not enough progress: tighten)
3. ``κ⁻ ← κ``

defaults ``ρ = 1, β = 0, γ₁ = 10, γ₂ = 0.25, ρ_max = 1e16``.  ``κ⁻`` starts at 0, so
the first update always grows ρ (any ``κ ≥ 0`` satisfies ``κ ≥ γ₂ · 0``).  This is the
NOTEARS schedule (Zheng et al., 2018) run once per epoch instead of per inner solve.

With ``dag_target="paper"`` ``h`` never approaches 0, so ρ hits ``ρ_max`` and β keeps
growing linearly; the cap keeps ρ finite, and :meth:`AugmentedLagrangian.update` refuses
a non-finite κ (or a β that overflowed) with a clear error instead of carrying inf/NaN
into the next epoch.  :meth:`penalty` is evaluated in ``h``'s dtype, so in float32 a
huge ``ρ`` or ``β`` gives ``inf`` there, which the trainer's finiteness check reports.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor

__all__ = ["AugmentedLagrangian"]

logger = logging.getLogger(__name__)

_FIELDS = ("rho", "beta", "gamma1", "gamma2", "rho_max", "kappa_prev")


@dataclass
class AugmentedLagrangian:
    """Eq. (18): penalty ``ρ/2 h² + β h`` and the per-epoch update of β and ρ."""

    rho: float = 1.0
    beta: float = 0.0
    gamma1: float = 10.0
    gamma2: float = 0.25
    rho_max: float = 1e16
    kappa_prev: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)

    def penalty(self, h: Tensor) -> Tensor:
        """``ρ/2 · h² + β · h`` (eq. 18); ``h`` may be a scalar or a batch of values."""
        return self.rho / 2 * h**2 + self.beta * h

    def update(self, kappa: float) -> None:
        """After an epoch, with ``kappa`` = mean h over it: update β, then ρ, then κ⁻.

        ``β ← β + ρ κ`` uses the ρ of the finished epoch; ``ρ ← min(γ₁ ρ, ρ_max)`` when
        ``κ ≥ γ₂ κ⁻`` (``κ⁻`` starts at 0, so the first update grows ρ); ``κ⁻ ← κ``.
        Appends ``{"kappa", "rho", "beta"}`` (values after the update) to ``history``.
        """
        kappa = float(kappa)
        if not math.isfinite(kappa):
            raise ValueError(
                f"kappa (mean acyclicity h over the epoch) is not finite: {kappa}; h "
                "overflowed (try a float64 covariance, another acyclicity kind, or "
                "dag_target='offdiag')"
            )
        beta = self.beta + self.rho * kappa
        if not math.isfinite(beta):
            raise OverflowError(f"beta overflowed: beta={self.beta} + rho={self.rho} * kappa={kappa}")
        self.beta = beta
        if kappa >= self.gamma2 * self.kappa_prev:
            self.rho = min(self.gamma1 * self.rho, self.rho_max)
        self.kappa_prev = kappa
        self.history.append({"kappa": kappa, "rho": self.rho, "beta": self.beta})
        logger.debug("augmented Lagrangian: kappa=%.4g rho=%.4g beta=%.4g", kappa, self.rho, beta)

    def state_dict(self) -> dict[str, Any]:
        """Plain floats (and the history, a list of dicts of floats) for checkpoints."""
        state: dict[str, Any] = {name: float(getattr(self, name)) for name in _FIELDS}
        state["history"] = [dict(record) for record in self.history]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`; a missing ``history`` means an empty one."""
        missing = [name for name in _FIELDS if name not in state]
        if missing:
            raise KeyError(f"AugmentedLagrangian state is missing {missing}")
        for name in _FIELDS:
            setattr(self, name, float(state[name]))
        self.history = [
            {key: float(value) for key, value in record.items()} for record in state.get("history", [])
        ]
