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

# Loaded on first use: the trainer imports the models, which import this package's config,
# and both import torch, which the configuration (and ``causalrec --help``) does not need.
_LAZY = {
    "NonFiniteLossError": "trainer",
    "Trainer": "trainer",
    "select_device": "trainer",
    "Evaluator": "evaluate",
    "metrics_from_ranks": "evaluate",
    "sample_negatives": "evaluate",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"causalrec.train.{_LAZY[name]}"), name)
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
