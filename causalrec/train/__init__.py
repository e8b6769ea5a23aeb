"""Configuration, training loop, evaluation and checkpoints."""

from causalrec.train.config import (
    ConfigError,
    DataConfig,
    ExperimentConfig,
    LagrangianConfig,
    ModelConfig,
    TrainConfig,
    paper,
    preset,
    quick,
)
from causalrec.train.evaluate import Evaluator, metrics_from_ranks, sample_negatives

_LAZY = {"NonFiniteLossError", "Trainer", "select_device"}


def __getattr__(name: str):
    # The trainer imports the models, which import this package's config: load it lazily.
    if name in _LAZY:
        from causalrec.train import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'causalrec.train' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "DataConfig",
    "Evaluator",
    "ExperimentConfig",
    "LagrangianConfig",
    "ModelConfig",
    "NonFiniteLossError",
    "TrainConfig",
    "Trainer",
    "metrics_from_ranks",
    "paper",
    "preset",
    "quick",
    "sample_negatives",
    "select_device",
]
