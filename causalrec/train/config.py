"""Configuration: one dataclass per concern, named presets (``paper``, ``quick``).

The CLI and the notebooks build the same objects. Every option DESIGN.md §4 offers
is a field here; the defaults are the paper's settings or, where the paper is
ambiguous, the documented default reading.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

BOOSTS = ("multiply", "filter", "none")
ATTENTIONS = ("softmax", "causal_only")
COV_MODES = ("batch", "sequence")
RELATIONS = ("hard", "soft")
LOSSES = ("bce", "bpr", "bce_full", "ce", "ce_sampled")
EVALS = ("sampled100", "full")
DISCOVERY_INPUTS = ("detached", "shared")
TRAIN_TARGETS = ("every_position", "last_position")
MODELS = ("causalrec", "sasrec", "most_popular", "bpr_mf", "gru4rec", "stamp", "narm", "bsarec")
BASELINES = ("most_popular", "bpr_mf", "gru4rec", "stamp", "narm", "bsarec")

#: The training objective each baseline was published with; every preset applies it.
#: BPR-MF: pairwise BPR loss with lambda = 0.0025 (MyMediaLite BPRMF RegU = RegI);
#: GRU4Rec: its official cross-entropy over the target and 2048 shared negatives drawn
#: ∝ popularity ** 0.5 (``n_sample``, ``sample_alpha``); STAMP, NARM, BSARec: softmax
#: cross-entropy over all items. BSARec's encoder is not causal
#: (its FFT mixes the whole window), so like its official code it learns from the last
#: position of every training prefix.
MODEL_OBJECTIVES: dict[str, dict[str, Any]] = {
    "bpr_mf": {"loss": "bpr", "embedding_l2": 0.0025},
    "gru4rec": {"loss": "ce_sampled", "num_negatives": 2048, "sample_alpha": 0.5},
    "stamp": {"loss": "ce"},
    "narm": {"loss": "ce"},
    "bsarec": {"loss": "ce", "train_targets": "last_position"},
}
#: Each source's optimiser settings (all Adam), applied by the ``paper`` preset. GRU4Rec's
#: official Adagrad (lr 0.05) and BPR-MF's SGD have no Adam setting: they keep the preset's.
#: Batch sizes are kept only where a batch means the same thing (BSARec: prefixes).
MODEL_OPTIMISERS: dict[str, dict[str, Any]] = {
    "stamp": {"lr": 0.003, "beta2": 0.999, "grad_clip": 150.0},
    "narm": {"lr": 0.001, "beta2": 0.999},
    "bsarec": {"lr": 0.001, "beta2": 0.999, "batch_size": 256},
}
#: The window where the architecture depends on it (BSARec filters the FFT of its window).
MODEL_MAX_LEN: dict[str, int] = {"bsarec": 50}
#: ``quick`` preset: an epoch over every training prefix holds ~(mean length) times the
#: samples of an epoch over users, so prefix-trained models get fewer epochs.
MODEL_QUICK: dict[str, dict[str, Any]] = {"bsarec": {"epochs": 2, "patience": 1}}


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field and what is allowed."""


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not valid; choose one of: {', '.join(allowed)}")


@dataclass
class DataConfig:
    """Which dataset to load and how (DESIGN.md §3)."""

    dataset: str = "synthetic"
    data_dir: str | None = None  # None: CAUSALREC_DATA, then ~/.cache/causalrec
    min_len: int = 3
    download: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # reader options, e.g. synthetic sizes

    def validate(self) -> None:
        if self.min_len < 3:
            raise ConfigError(f"min_len={self.min_len}: leave-one-out needs at least 3 interactions")


@dataclass
class ModelConfig:
    """CausalRec architecture (paper §4). ``alpha=0`` with ``discovery=False`` is SASRec."""

    hidden: int = 64
    max_len: int = 200
    num_layers: int = 2
    num_heads: int = 1
    dropout: float = 0.2
    alpha: float = 1.0
    boost: str = "multiply"  # eq. (10); "filter" is eq. (22-23); "none" ignores R
    attention: str = "softmax"  # "causal_only": Table 4 "w/o Attention"
    discovery: bool = True  # build the causal discovery block (§4.1)
    cov_mode: str = "batch"  # eq. (7) averaged over the batch, or one W per sequence
    dag_target: str = "offdiag"  # "paper" | "offdiag" | "sem" (see DESIGN.md §4)
    acyclicity: str = "expm"  # "expm" | "poly" | "logdet" | "spectral"
    tau: float = 0.3  # eq. (9) threshold
    relation: str = "hard"  # "hard": 1[|W|>tau]; "soft": |W| on the causal mask
    lambda_l1: float = 1e-3  # eq. (16) weight of ||W||_1
    # "shared": the DAG terms (eq. 16-18) also train the item/position embeddings the
    # recommender uses (literal joint training); "detached": the discovery block reads a
    # detached copy of E, so the DAG terms train only the discovery block.
    discovery_input: str = "detached"
    # Dropout inside the discovery block. Its output only feeds the covariance of eq. (7),
    # where dropout noise just jitters W (and so R); the paper does not say. 0 by default.
    discovery_dropout: float = 0.0

    def validate(self) -> None:
        from causalrec.discovery import ACYCLICITY, DAG_TARGETS

        _choice("boost", self.boost, BOOSTS)
        _choice("attention", self.attention, ATTENTIONS)
        _choice("cov_mode", self.cov_mode, COV_MODES)
        _choice("relation", self.relation, RELATIONS)
        _choice("dag_target", self.dag_target, tuple(DAG_TARGETS))
        _choice("acyclicity", self.acyclicity, tuple(ACYCLICITY))
        _choice("discovery_input", self.discovery_input, DISCOVERY_INPUTS)
        if self.max_len < 2:
            raise ConfigError(f"max_len={self.max_len}: a sequence model needs max_len >= 2")
        if self.alpha < 0:
            raise ConfigError(f"alpha={self.alpha}: the boost strength must be >= 0")
        if self.lambda_l1 < 0:
            raise ConfigError(f"lambda_l1={self.lambda_l1}: must be >= 0")
        if self.hidden % self.num_heads:
            raise ConfigError(f"hidden={self.hidden} is not divisible by num_heads={self.num_heads}")
        for name in ("dropout", "discovery_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"{name}={getattr(self, name)}: must be in [0, 1)")
        if self.num_layers < 1:
            raise ConfigError(f"num_layers={self.num_layers}: must be >= 1")
        needs_relation = self.boost != "none" or self.attention == "causal_only"
        if needs_relation and not self.discovery:
            raise ConfigError(
                f"boost={self.boost!r}/attention={self.attention!r} need the discovery block "
                "(discovery=True)"
            )

    @property
    def uses_relation(self) -> bool:
        return self.discovery and (self.boost != "none" or self.attention == "causal_only")


@dataclass
class LagrangianConfig:
    """Eq. (18) schedule: beta += rho*kappa; rho *= gamma1 when kappa >= gamma2*kappa_prev."""

    rho: float = 1.0
    beta: float = 0.0
    gamma1: float = 10.0
    gamma2: float = 0.25
    rho_max: float = 1e16


@dataclass
class TrainConfig:
    """Optimisation, evaluation and infrastructure."""

    epochs: int = 200
    batch_size: int = 256
    lr: float = 1e-3
    beta2: float = 0.98
    weight_decay: float = 0.0
    loss: str = "bce"  # eq. (17) with sampled negatives; "bpr" pairwise; "bce_full" all items; "ce" softmax
    num_negatives: int = 1
    # "every_position": one sample per user, next-item loss at every position (SASRec; for a
    # causal encoder the same pairs as training on every prefix). "last_position": one
    # sample per training prefix, loss at its last position (BSARec's non-causal encoder).
    train_targets: str = "every_position"
    embedding_l2: float = 0.0  # BPR-Opt's lambda on the hidden and item vectors that are scored
    # "ce_sampled": its num_negatives shared negatives are drawn ∝ count ** sample_alpha
    # (GRU4Rec's sample_alpha; 0 = uniform over items).
    sample_alpha: float = 0.0
    patience: int = 20  # early stopping on validation NDCG@10
    eval: str = "sampled100"  # metric used for early stopping
    eval_every: int = 1
    eval_batch_size: int = 512
    eval_seed: int = 2026  # fixed negatives: every model sees the same ones
    seed: int = 42
    device: str = "auto"  # auto: cuda, then mps, then cpu
    amp: str = "auto"  # bf16 autocast; "auto" = on for CUDA only
    compile: str = "off"  # torch.compile: "on" | "off" | "auto" (CUDA only)
    grad_clip: float | None = None
    max_steps_per_epoch: int | None = None  # for smoke tests and benchmarks
    progress: bool = True

    def validate(self) -> None:
        _choice("loss", self.loss, LOSSES)
        _choice("train_targets", self.train_targets, TRAIN_TARGETS)
        _choice("eval", self.eval, EVALS)
        _choice("amp", self.amp, ("auto", "on", "off"))
        _choice("compile", self.compile, ("auto", "on", "off"))
        for name in ("epochs", "batch_size", "num_negatives", "patience", "eval_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)}: must be >= 1")
        if self.lr <= 0:
            raise ConfigError(f"lr={self.lr}: must be > 0")
        if self.embedding_l2 < 0:
            raise ConfigError(f"embedding_l2={self.embedding_l2}: must be >= 0")
        if self.sample_alpha < 0:
            raise ConfigError(f"sample_alpha={self.sample_alpha}: must be >= 0")


@dataclass
class ExperimentConfig:
    """Everything a run needs; serialised into every result JSON."""

    model_name: str = "causalrec"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    lagrangian: LagrangianConfig = field(default_factory=LagrangianConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    # Overrides of a baseline's own hyperparameters (e.g. {"hidden": 128} for gru4rec);
    # the defaults live next to each model in causalrec.models.baselines.
    baseline: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> ExperimentConfig:
        _choice("model", self.model_name, MODELS)
        self.data.validate()
        self.model.validate()
        self.train.validate()
        if self.baseline:
            from causalrec.models.baselines import BASELINE_CONFIGS, baseline_config

            if self.model_name not in BASELINE_CONFIGS:
                raise ConfigError(f"baseline options {sorted(self.baseline)} given, but "
                                  f"{self.model_name} has none")
            try:
                baseline_config(self.model_name, self.baseline)
            except (TypeError, ValueError) as err:
                raise ConfigError(str(err)) from err
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExperimentConfig:
        return cls(
            model_name=d.get("model_name", "causalrec"),
            data=DataConfig(**d.get("data", {})),
            model=ModelConfig(**d.get("model", {})),
            lagrangian=LagrangianConfig(**d.get("lagrangian", {})),
            train=TrainConfig(**d.get("train", {})),
            baseline=dict(d.get("baseline", {})),
        )


def _as_model(cfg: ExperimentConfig, model_name: str, optimiser: bool = False) -> ExperimentConfig:
    """Turn a config into the named model: SASRec is CausalRec with alpha=0, no discovery;
    a baseline gets its published objective, window and (``optimiser=True``) optimiser."""
    cfg.model_name = model_name
    if model_name == "sasrec":
        cfg.model = dataclasses.replace(
            cfg.model, alpha=0.0, boost="none", attention="softmax", discovery=False
        )
    settings = dict(MODEL_OBJECTIVES.get(model_name, {}))
    if optimiser:
        settings.update(MODEL_OPTIMISERS.get(model_name, {}))
    cfg.train = dataclasses.replace(cfg.train, **settings)
    if model_name in MODEL_MAX_LEN:
        cfg.model.max_len = MODEL_MAX_LEN[model_name]
    return cfg


def paper(dataset: str = "ml-1m", model_name: str = "causalrec") -> ExperimentConfig:
    """The paper's settings (DESIGN.md §4): D=64, n=200, 2 layers, 1 head, dropout 0.2."""
    cfg = ExperimentConfig(data=DataConfig(dataset=dataset))
    return _as_model(cfg, model_name, optimiser=True)


def quick(dataset: str = "synthetic", model_name: str = "causalrec") -> ExperimentConfig:
    """Small and fast: minutes on a laptop CPU, for tests, CI and QUICK notebooks."""
    cfg = ExperimentConfig(
        data=DataConfig(dataset=dataset),
        model=ModelConfig(max_len=50, dropout=0.2),
        train=TrainConfig(epochs=30, batch_size=128, lr=5e-3, patience=10, progress=False),
    )
    cfg = _as_model(cfg, model_name)
    cfg.train = dataclasses.replace(cfg.train, **MODEL_QUICK.get(model_name, {}))
    return cfg


PRESETS = {"paper": paper, "quick": quick}


def preset(name: str, dataset: str, model_name: str) -> ExperimentConfig:
    """Build a named preset; ValueError names the presets on a bad name."""
    if name not in PRESETS:
        raise ConfigError(f"preset={name!r} is not valid; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name](dataset=dataset, model_name=model_name)
