"""``causalrec compare``: train several models on one dataset with one seed, write one table.

Every model goes through the same :class:`~causalrec.train.trainer.Trainer`: same data,
leave-one-out split, evaluation negatives (fixed ``eval_seed``), metrics and early
stopping. By default each model trains in its own process (``spawn``), so the peak
memory reported for it on a CPU (the process's peak RSS) is its own and not the
maximum over the models trained before it. The table (JSON and Markdown) records the
command, the git commit, the machine, and per model: epochs, seconds per epoch, peak
memory and HR@10 / NDCG@10 under sampled-100 and full ranking, beside the paper's
Table 2 column where it is filled in (:data:`PAPER_TABLE2`).
"""

from __future__ import annotations

import copy
import json
import logging
import multiprocessing
import time
from pathlib import Path
from typing import Any

from causalrec.train.config import ConfigError, ExperimentConfig, preset

log = logging.getLogger(__name__)

#: Models trained by default, cheapest first (so a partial table is useful early).
DEFAULT_MODELS = ("most_popular", "bpr_mf", "sasrec", "causalrec", "gru4rec", "narm", "stamp",
                  "bsarec")
#: Row order of the paper's Table 2 (plus most-popular and NARM, which it does not list).
TABLE_ORDER = ("most_popular", "bpr_mf", "gru4rec", "stamp", "narm", "causer", "vtrnn", "sasrec",
               "bsarec", "causalrec")
DISPLAY_NAMES = {
    "most_popular": "MostPopular", "bpr_mf": "BPR-MF", "gru4rec": "GRU4Rec", "stamp": "STAMP",
    "narm": "NARM", "causer": "Causer", "vtrnn": "VTRNN", "sasrec": "SASRec", "bsarec": "BSARec",
    "causalrec": "CausalRec",
}
#: The paper's Table 2 (sampled-100 ranking), dataset -> model -> {"HR@10": x, "NDCG@10": y}.
#: TODO: fill in from arXiv 2510.21333, Table 2. The numbers were not available offline
#: when this module was written; until then the tables print "TODO (paper Table 2)".
#: Copy them exactly as printed; never estimate or round them.
PAPER_TABLE2: dict[str, dict[str, dict[str, float]]] = {}
METRICS = ("HR@10", "NDCG@10")


def parse_overrides(items: list[str]) -> dict[str, dict[str, Any]]:
    """``["bsarec:train.epochs=20", ...]`` -> ``{"bsarec": {"train.epochs": 20}}``.

    Values are read as JSON when they parse (numbers, true/false, null), else as text.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        model, sep, rest = item.partition(":")
        key, eq, raw = rest.partition("=")
        section = key.split(".")[0]
        if not (sep and eq and "." in key and section in ("train", "model", "baseline")):
            raise ConfigError(f"--set {item!r}: expected MODEL:SECTION.FIELD=VALUE with SECTION one "
                              "of train, model, baseline (e.g. bsarec:train.epochs=20)")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(model, {})[key] = value
    return out


def apply_overrides(cfg: ExperimentConfig, overrides: dict[str, Any]) -> ExperimentConfig:
    """Set ``section.field`` values on a copy of ``cfg``; ConfigError names an unknown field."""
    cfg = copy.deepcopy(cfg)
    for key, value in overrides.items():
        section, field = key.split(".", 1)
        if section == "baseline":
            cfg.baseline[field] = value
            continue
        target = getattr(cfg, section)
        if not hasattr(target, field):
            raise ConfigError(f"--set {cfg.model_name}:{key}: {section} has no field {field!r}")
        setattr(target, field, value)
    return cfg


def compare_configs(models: list[str], dataset: str, preset_name: str = "paper", seed: int = 42,
                    epochs: int | None = None, data_dir: str | None = None, device: str = "auto",
                    overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, ExperimentConfig]:
    """The ExperimentConfig of every model, validated (ConfigError on bad input)."""
    from causalrec.models.baselines import NOT_RERUN
    from causalrec.train.config import MODELS

    overrides = overrides or {}
    unknown = [m for m in list(models) + list(overrides) if m not in MODELS]
    if unknown:
        name = unknown[0]
        why = f" ({NOT_RERUN[name]}; its row shows the paper's numbers)" if name in NOT_RERUN else ""
        raise ConfigError(f"unknown model {name!r}{why}; choose from: {', '.join(MODELS)}")
    configs = {}
    for name in models:
        cfg = preset(preset_name, dataset, name)
        cfg.data.data_dir = data_dir
        cfg.train.seed, cfg.train.device, cfg.train.progress = seed, device, False
        if epochs is not None:
            cfg.train.epochs = epochs
        configs[name] = apply_overrides(cfg, overrides.get(name, {})).validate()
    return configs


def _train_in_process(config: dict[str, Any], run_dir: str, resume: bool = False) -> dict[str, Any]:
    from causalrec.train.trainer import Trainer

    return Trainer(ExperimentConfig.from_dict(config), out_dir=run_dir).fit(resume=resume)


def _train_worker(config: dict[str, Any], run_dir: str, resume: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _train_in_process(config, run_dir, resume)


def train_one(cfg: ExperimentConfig, run_dir: Path, isolate: bool = True,
              resume: bool = False) -> dict[str, Any]:
    """Train ``cfg`` into ``run_dir`` and return its result (RuntimeError if the run failed).

    ``resume`` continues from ``run_dir/checkpoint.pt`` (e.g. after raising an epoch cap).
    """
    if not isolate:
        return _train_in_process(cfg.to_dict(), str(run_dir), resume)
    result_path = run_dir / "result.json"
    if result_path.exists():
        result_path.unlink()
    process = multiprocessing.get_context("spawn").Process(
        target=_train_worker, args=(cfg.to_dict(), str(run_dir), resume),
        name=f"train-{cfg.model_name}")
    process.start()
    process.join()
    if process.exitcode != 0 or not result_path.exists():
        raise RuntimeError(f"training {cfg.model_name} failed (exit code {process.exitcode}); "
                           f"see the log above and {run_dir}")
    return json.loads(result_path.read_text())


def _reusable(run_dir: Path, cfg: ExperimentConfig) -> dict[str, Any] | None:
    """The finished result in ``run_dir`` if it is the run ``cfg`` asks for, else None.

    The saved configuration must equal ``cfg``, except the epoch cap of a run that stopped
    early: it ended before its cap, so any cap above its last epoch gives the same run.
    """
    path = run_dir / "result.json"
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    saved, wanted = result.get("config"), json.loads(json.dumps(cfg.to_dict()))
    if saved == wanted:
        return result
    if not (saved and result.get("stopped_early") and result["epochs_run"] < wanted["train"]["epochs"]):
        return None
    saved = copy.deepcopy(saved)
    saved["train"]["epochs"] = wanted["train"]["epochs"]
    return result if saved == wanted else None


def training_history(run_dir: Path) -> dict[str, list[float]] | None:
    """Per-epoch training seconds, loss and validation HR@10 / NDCG@10 from ``metrics.jsonl``.

    The validation metrics are those early stopping watched (the preset's ``train.eval``
    protocol); epochs without an evaluation get ``None``. ``None`` when there is no file.
    """
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return None
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not records:
        return None
    valid = [r.get("valid") or {} for r in records]
    return {
        "epoch": [r["epoch"] for r in records],
        "seconds": [round(r["seconds"], 4) for r in records],
        "loss": [r["loss"].get("total") if isinstance(r["loss"], dict) else r["loss"]
                 for r in records],
        "valid_HR@10": [v.get("HR@10") for v in valid],
        "valid_NDCG@10": [v.get("NDCG@10") for v in valid],
    }


def result_row(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """One table row from a trainer result."""
    cfg = result["config"]["train"]
    return {
        "model": name,
        "name": DISPLAY_NAMES.get(name, name),
        "status": "rerun",
        "epochs": result["epochs_run"],
        "best_epoch": result["best_epoch"],
        "stopped_early": result["stopped_early"],
        "epoch_cap": cfg["epochs"],
        "seconds_per_epoch": result["mean_epoch_seconds"],
        "wall_seconds": result["wall_seconds"],
        "train_seconds": float(sum(result.get("epoch_seconds") or [])),
        "peak_memory_mb": result["peak_memory_mb"],
        "loss": cfg["loss"],
        "train_targets": cfg.get("train_targets", "every_position"),
        "num_parameters": result["num_parameters"],
        "test": {mode: {m: result["test"][mode][m] for m in METRICS}
                 for mode in ("sampled100", "full")},
        "valid": {mode: {m: result["valid"][mode][m] for m in METRICS}
                  for mode in ("sampled100", "full")},
    }


def run_compare(models: list[str], dataset: str, preset_name: str = "paper", seed: int = 42,
                epochs: int | None = None, data_dir: str | None = None, device: str = "auto",
                overrides: dict[str, dict[str, Any]] | None = None, out_dir: str | Path | None = None,
                runs_dir: str | Path = "runs/compare", isolate: bool = True, reuse: bool = False,
                resume: bool = False, command: str | None = None) -> dict[str, Any]:
    """Train ``models`` on ``dataset`` (one seed) and return the table; write it to ``out_dir``.

    ``reuse`` keeps a finished run whose saved config equals this one (to continue a
    comparison that was interrupted); ``resume`` continues every other run from its last
    checkpoint (for example after raising a model's epoch cap). A model whose training
    fails gets a row with ``status`` "failed: ..." and the others still run.
    """
    from causalrec.models.baselines import NOT_RERUN
    from causalrec.train.checkpoint import environment
    from causalrec.train.trainer import select_device

    configs = compare_configs(models, dataset, preset_name, seed, epochs, data_dir, device, overrides)
    rows: dict[str, dict[str, Any]] = {}
    reused: list[str] = []
    started = time.time()
    for name, cfg in configs.items():
        run_dir = Path(runs_dir) / dataset / f"{name}-seed{seed}"
        result = _reusable(run_dir, cfg) if reuse else None
        if result is None:
            log.info("compare: training %s on %s (seed %d) in %s", name, dataset, seed, run_dir)
            try:
                result = train_one(cfg, run_dir, isolate, resume)
            except Exception as err:  # noqa: BLE001 - recorded in the table, the others still run
                log.error("compare: %s failed: %s", name, err)
                rows[name] = {"model": name, "name": DISPLAY_NAMES.get(name, name),
                              "status": f"failed: {err}"}
                continue
        else:
            log.info("compare: reusing %s", run_dir / "result.json")
            reused.append(name)
        rows[name] = result_row(name, result)
        rows[name]["run_dir"] = str(run_dir)
        rows[name]["history"] = training_history(run_dir)
        rows[name]["config"] = result["config"]
        rows[name]["model_config"] = result.get("model_config")
    for name, reason in NOT_RERUN.items():
        rows[name] = {"model": name, "name": DISPLAY_NAMES[name], "status": "not rerun",
                      "reason": reason}
    paper = PAPER_TABLE2.get(dataset, {})
    for name, row in rows.items():
        row["paper"] = paper.get(name)
    order = [m for m in TABLE_ORDER if m in rows] + [m for m in rows if m not in TABLE_ORDER]
    table = {
        "dataset": dataset,
        "preset": preset_name,
        "seed": seed,
        "epoch_cap": epochs,
        "overrides": overrides or {},
        "command": command,
        "created": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "total_wall_seconds": time.time() - started,
        "environment": environment(select_device(device)),
        "isolated_processes": isolate,
        "reused": reused,
        "paper_column": "filled" if paper else "TODO: the paper's Table 2 numbers are not filled in",
        "rows": [rows[m] for m in order],
    }
    if out_dir is not None:
        write_table(table, Path(out_dir))
    return table


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _train_hours(table: dict[str, Any]) -> float:
    return sum(r.get("train_seconds") or 0.0 for r in table["rows"]) / 3600


def format_markdown(table: dict[str, Any]) -> str:
    """The comparison as a Markdown page: provenance, the table, then notes."""
    env = table["environment"]
    device = env.get("cuda_device") or f"{env['processor']} ({env['cpu_count']} CPUs, " \
                                       f"{env['torch_threads']} torch threads)"
    lines = [
        f"# Model comparison on {table['dataset']}",
        "",
        f"- command: `{table['command'] or 'run_compare(...) from Python'}`",
        f"- git commit: `{env.get('git_commit')}`; causalrec {env['causalrec']}, torch {env['torch']}, "
        f"Python {env['python']}",
        f"- machine: {env['platform']}; device {env['device']}: {device}",
        f"- created {table['created']}; wall time of this invocation "
        f"{table['total_wall_seconds'] / 60:.1f} min"
        + (f" (it reused the finished runs of {', '.join(table['reused'])})" if table.get("reused") else "")
        + f"; training time of all models {_train_hours(table):.2f} h (sum of epoch seconds, "
        "evaluation excluded)",
        f"- preset `{table['preset']}`, seed {table['seed']}, epoch cap "
        f"{table['epoch_cap'] or 'from the preset'}; per-model overrides: "
        f"{json.dumps(table['overrides']) if table['overrides'] else 'none'}",
        "- metrics on the test split, leave-one-out; *sampled-100*: the held-out item among "
        "100 uniformly sampled unseen items (same negatives for every model); *full*: among "
        "all items, history excluded",
        "",
        "| Model | Loss | Epochs (best) | Early-stopped | s/epoch | Peak MiB | HR@10 s-100 | "
        "NDCG@10 s-100 | HR@10 full | NDCG@10 full | Paper HR@10 | Paper NDCG@10 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    todo = "TODO (paper Table 2)"
    for row in table["rows"]:
        paper = row.get("paper") or {}
        p_hr = _fmt(paper.get("HR@10")) if paper else todo
        p_ndcg = _fmt(paper.get("NDCG@10")) if paper else todo
        if row["status"] != "rerun":
            lines.append(f"| {row['name']} | {row['status']} | - | - | - | - | - | - | - | - | "
                         f"{p_hr} | {p_ndcg} |")
            continue
        s, f = row["test"]["sampled100"], row["test"]["full"]
        early = "yes" if row["stopped_early"] else f"no (cap {row['epoch_cap']})"
        loss = row["loss"]
        if row["epochs"] == 0:
            early, loss = "n/a (no training)", "-"
        lines.append(
            f"| {row['name']} | {loss} | {row['epochs']} ({row['best_epoch']}) | {early} | "
            f"{_fmt(row['seconds_per_epoch'], 2)} | {row['peak_memory_mb']:.0f} | {_fmt(s['HR@10'])} | "
            f"{_fmt(s['NDCG@10'])} | {_fmt(f['HR@10'])} | {_fmt(f['NDCG@10'])} | {p_hr} | {p_ndcg} |")
    lines += ["", "Notes:", ""]
    memory = ("CUDA allocator peak" if env["device"].startswith("cuda") else
              "peak resident memory of the process" + (" that trained the model alone"
                                                       if table["isolated_processes"] else
                                                       " (cumulative: models shared one process)"))
    lines.append(f"- Peak MiB: {memory}. s/epoch: training only, evaluation excluded.")
    for row in table["rows"]:
        if row["status"] == "not rerun":
            lines.append(f"- {row['name']}: not rerun: {row['reason']}.")
        elif row["status"].startswith("failed"):
            lines.append(f"- {row['name']}: {row['status']}")
    if table["paper_column"] != "filled":
        lines.append("- Paper columns: TODO, the numbers of the paper's Table 2 were not available "
                     "when this table was made; they must be copied from the paper, not estimated.")
    return "\n".join(lines) + "\n"


def write_table(table: dict[str, Any], out_dir: Path) -> None:
    """``compare.json`` and ``compare.md`` in ``out_dir``."""
    from causalrec.train.checkpoint import write_json

    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "compare.json", table)
    (out_dir / "compare.md").write_text(format_markdown(table))
