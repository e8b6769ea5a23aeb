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


def build_model(name: str, data, model_config=None) -> SequentialRecommender:
    """The model called ``name`` for ``data`` (a SequenceData); see train.config.MODELS."""
    if name in ("causalrec", "sasrec"):
        return CausalRec(data.num_items, model_config)
    if name == "most_popular":
        return MostPopular(data.num_items)
    raise ValueError(f"unknown model {name!r}; choose one of: causalrec, sasrec, most_popular")
