"""Models: CausalRec (SASRec when alpha=0 without discovery) and baselines."""

from __future__ import annotations

from causalrec.models.attention import CausalBoostAttention, CausalBoostBlock
from causalrec.models.base import MostPopular, SequentialRecommender
from causalrec.models.causalrec import CausalRec, Encoded, relation_matrix

__all__ = [
    "CausalBoostAttention",
    "CausalBoostBlock",
    "CausalRec",
    "Encoded",
    "MostPopular",
    "SequentialRecommender",
    "build_model",
    "relation_matrix",
]


def build_model(name: str, data, model_config=None, baseline_options=None) -> SequentialRecommender:
    """The model called ``name`` for ``data`` (a SequenceData); see train.config.MODELS.

    ``model_config`` (a ModelConfig) configures CausalRec/SASRec and gives every model
    its window ``max_len``; ``baseline_options`` override a baseline's own defaults
    (see :mod:`causalrec.models.baselines`).
    """
    from causalrec.models.baselines import BASELINE_CONFIGS, build_baseline

    if name in ("causalrec", "sasrec"):
        if baseline_options:
            raise ValueError(f"{name} takes its options from ModelConfig, not baseline options")
        return CausalRec(data.num_items, model_config)
    if name == "most_popular" or name in BASELINE_CONFIGS:
        max_len = model_config.max_len if model_config is not None else 200
        return build_baseline(name, data, max_len, baseline_options)
    from causalrec.train.config import MODELS

    raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
