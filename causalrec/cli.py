"""Command line: ``causalrec data stats | train | evaluate | bench | compare``.

Bad input (unknown dataset, negative alpha, max_len < 2, a missing data folder)
gives one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("causalrec")


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _datasets() -> list[str]:
    from causalrec.data import available_datasets

    return available_datasets()


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", default="synthetic",
                   help="dataset name: " + ", ".join(_datasets()) + " (default: synthetic)")
    p.add_argument("--data-dir", default=None,
                   help="folder holding the raw files (default: $CAUSALREC_DATA, then ~/.cache/causalrec)")
    p.add_argument("--download", action="store_true", help="download missing raw files")


def _add_model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (defaults: the preset's)")
    g.add_argument("--alpha", type=float, help="boost strength alpha of eq. (10), >= 0")
    g.add_argument("--max-len", type=int, help="sequence window n (>= 2)")
    g.add_argument("--hidden", type=int, help="hidden size D")
    g.add_argument("--num-layers", type=int)
    g.add_argument("--num-heads", type=int)
    g.add_argument("--dropout", type=float)
    g.add_argument("--discovery-dropout", type=float, help="dropout inside the discovery block")
    g.add_argument("--boost", choices=["multiply", "filter", "none"])
    g.add_argument("--attention", choices=["softmax", "causal_only"])
    g.add_argument("--cov-mode", choices=["batch", "sequence"])
    g.add_argument("--dag-target", choices=["paper", "offdiag", "sem"])
    g.add_argument("--acyclicity", choices=["expm", "poly", "logdet", "spectral"])
    g.add_argument("--tau", type=float, help="threshold of eq. (9)")
    g.add_argument("--relation", choices=["hard", "soft"])
    g.add_argument("--lambda-l1", type=float, help="weight of ||W||_1 in eq. (16)")
    g.add_argument("--discovery-input", choices=["detached", "shared"],
                   help="shared: DAG terms also train the embeddings (literal joint training)")
    t = p.add_argument_group("training (defaults: the preset's)")
    t.add_argument("--preset", default="paper", choices=["paper", "quick"])
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--loss", choices=["bce", "bpr", "bce_full", "ce", "ce_sampled"],
                   help="default: the model's published loss (bce for CausalRec/SASRec)")
    t.add_argument("--patience", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="auto (default), cpu, cuda, cuda:1, mps")
    t.add_argument("--amp", choices=["auto", "on", "off"], help="bf16 autocast (auto: CUDA only)")
    t.add_argument("--compile", choices=["auto", "on", "off"], help="torch.compile")
    t.add_argument("--max-steps", type=int, help="cap on training steps per epoch")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    g.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a baseline's own hyperparameter, e.g. --model-option hidden=128 "
                        "(see causalrec.models.baselines); repeatable")


MODEL_FIELDS = ("alpha", "max_len", "hidden", "num_layers", "num_heads", "dropout", "boost",
                "attention", "cov_mode", "dag_target", "acyclicity", "tau", "relation", "lambda_l1",
                "discovery_input", "discovery_dropout")
TRAIN_FIELDS = ("epochs", "batch_size", "lr", "loss", "patience", "seed", "device", "amp",
                "compile")


def build_config(args: argparse.Namespace, model_name: str):
    """The ExperimentConfig a command line describes (the same objects notebooks build)."""
    from causalrec.train.config import BASELINES, preset

    if args.dataset not in _datasets():
        raise CliError(f"unknown dataset {args.dataset!r}; choose one of: {', '.join(_datasets())}")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise CliError(f"--data-dir {args.data_dir} does not exist or is not a folder")
    cfg = preset(args.preset, args.dataset, model_name)
    cfg.data.data_dir = args.data_dir
    cfg.data.download = args.download
    for name in MODEL_FIELDS:
        value = getattr(args, name, None)
        if value is not None and (model_name not in BASELINES or name == "max_len"):
            setattr(cfg.model, name, value)
    for name in TRAIN_FIELDS:
        value = getattr(args, name, None)
        if value is not None:
            setattr(cfg.train, name, value)
    if model_name in BASELINES:
        _route_baseline_options(args, cfg)
    elif getattr(args, "model_option", None):
        raise CliError(f"--model-option is for the baselines; {model_name} is set with its own flags")
    if model_name == "sasrec":  # SASRec ignores boost options by definition
        cfg.model.alpha, cfg.model.boost, cfg.model.discovery = 0.0, "none", False
        cfg.model.attention = "softmax"
    if getattr(args, "max_steps", None):
        cfg.train.max_steps_per_epoch = args.max_steps
    cfg.train.progress = not getattr(args, "no_progress", False)
    return cfg.validate()


def _parse_value(raw: str) -> Any:
    """A command-line value: JSON when it parses (numbers, true/false), else the text."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _route_baseline_options(args: argparse.Namespace, cfg) -> None:
    """Baselines: --hidden/--dropout/... set the baseline's field of that name (when it has
    one); CausalRec-only options are an error; --model-option KEY=VALUE sets any field."""
    import dataclasses

    from causalrec.models.baselines import BASELINE_CONFIGS

    fields = {f.name for f in dataclasses.fields(BASELINE_CONFIGS[cfg.model_name])} \
        if cfg.model_name in BASELINE_CONFIGS else set()
    for name in MODEL_FIELDS:
        value = getattr(args, name, None)
        if value is None or name == "max_len":
            continue
        if name not in fields:
            flag = "--" + name.replace("_", "-")
            raise CliError(f"{flag} does not apply to model {cfg.model_name}"
                           + (f"; its options are: {', '.join(sorted(fields))}" if fields else ""))
        cfg.baseline[name] = value
    for item in getattr(args, "model_option", None) or []:
        key, eq, raw = item.partition("=")
        if not eq or not key:
            raise CliError(f"--model-option {item!r}: expected KEY=VALUE, e.g. hidden=128")
        cfg.baseline[key] = _parse_value(raw)


# --------------------------------------------------------------------------- commands
def cmd_data_stats(args: argparse.Namespace) -> int:
    from causalrec.data import get_spec, load_dataset

    if args.dataset not in _datasets():
        raise CliError(f"unknown dataset {args.dataset!r}; choose one of: {', '.join(_datasets())}")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise CliError(f"--data-dir {args.data_dir} does not exist or is not a folder")
    # Table 3 counts every user (min_len=1); training keeps users with >= 3 items.
    data = load_dataset(args.dataset, args.data_dir, download=args.download, min_len=1)
    stats = data.stats()
    trainable = load_dataset(args.dataset, args.data_dir, min_len=3).stats()
    spec = get_spec(args.dataset)
    paper = _paper_counts(spec)
    if args.json:
        print(json.dumps({"stats": stats, "paper": paper, "min_len_3": trainable}, indent=2,
                         default=str))
        return 0
    print(f"dataset: {args.dataset}")
    print(f"source:  {data.source}")
    print(f"with >= 3 interactions (used for training): {trainable['users']:,} users, "
          f"{trainable['items']:,} items, {trainable['interactions']:,} interactions")
    print(f"{'':16}{'here':>12}{'paper':>12}")
    for key in ("users", "items", "interactions"):
        print(f"{key:16}{stats[key]:>12,}{paper.get(key, '-'):>12,}" if key in paper
              else f"{key:16}{stats[key]:>12,}{'-':>12}")
    for key, value in stats.items():
        if key not in ("name", "users", "items", "interactions", "source"):
            print(f"{key:16}{value:>12.4g}" if isinstance(value, float) else f"{key:16}{value!s:>12}")
    return 0


def _paper_counts(spec) -> dict[str, int]:
    """The paper's Table 3 row of a registry entry (empty for datasets it does not use)."""
    return spec.paper._asdict() if spec.paper is not None else {}


def _default_out(cfg) -> Path:
    return Path("runs") / cfg.data.dataset / f"{cfg.model_name}-seed{cfg.train.seed}"


def cmd_train(args: argparse.Namespace) -> int:
    from causalrec.train.trainer import Trainer

    cfg = build_config(args, args.model)
    out = Path(args.out) if args.out else _default_out(cfg)
    trainer = Trainer(cfg, out_dir=out)
    result = trainer.fit(resume=args.resume)
    _print_result(result, out)
    return 0


def _print_result(result: dict[str, Any], out: Path | None) -> None:
    print(f"{result['model']} on {result['dataset']}: {result['epochs_run']} epochs "
          f"(best {result['best_epoch']}), {result['mean_epoch_seconds'] or 0:.2f} s/epoch, "
          f"peak memory {result['peak_memory_mb']:.0f} MiB")
    for mode in ("sampled100", "full"):
        m = result["test"][mode]
        print(f"  test {mode:>10}: HR@10 {m['HR@10']:.4f}  NDCG@10 {m['NDCG@10']:.4f}  "
              f"MRR {m['MRR']:.4f}")
    if out is not None:
        print(f"result: {out / 'result.json'}")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from causalrec.train.checkpoint import load_checkpoint
    from causalrec.train.config import ExperimentConfig
    from causalrec.train.trainer import Trainer

    run = Path(args.run)
    ckpt_path, best_path = run / "checkpoint.pt", run / "best.pt"
    if not ckpt_path.exists():
        raise CliError(f"--run {run}: no checkpoint.pt there (train with --out {run} first)")
    cfg = ExperimentConfig.from_dict(load_checkpoint(ckpt_path)["config"])
    if args.data_dir:
        cfg.data.data_dir = args.data_dir
    cfg.train.progress = False
    trainer = Trainer(cfg)
    state = load_checkpoint(best_path if best_path.exists() else ckpt_path, trainer.device)
    trainer.model.load_state_dict(state.get("model", state))
    modes = ("sampled100", "full") if args.mode == "both" else (args.mode,)
    out = {m: trainer.test.evaluate(trainer.model, m, trainer.device) for m in modes}
    print(json.dumps(out, indent=2))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from causalrec.train.bench import format_bench, run_bench

    cfg = build_config(args, "causalrec")
    result = run_bench(cfg, epochs=args.epochs or 3)
    print(format_bench(result))
    if args.out:
        from causalrec.train.checkpoint import write_json

        write_json(Path(args.out), result)
        print(f"written: {args.out}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import shlex

    from causalrec.train.compare import format_markdown, parse_overrides, run_compare

    if args.dataset not in _datasets():
        raise CliError(f"unknown dataset {args.dataset!r}; choose one of: {', '.join(_datasets())}")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise CliError(f"--data-dir {args.data_dir} does not exist or is not a folder")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models:
        raise CliError("--models is empty; give a comma-separated list, e.g. sasrec,gru4rec")
    out = Path(args.out) if args.out else Path("results") / args.dataset
    command = "causalrec " + shlex.join(args.argv)
    table = run_compare(models, args.dataset, args.preset, args.seed, args.epochs, args.data_dir,
                        args.device or "auto", parse_overrides(args.set), out, args.runs,
                        isolate=not args.in_process, reuse=args.reuse, resume=args.resume,
                        command=command)
    print(format_markdown(table))
    print(f"written: {out / 'compare.json'} and {out / 'compare.md'}")
    return 1 if any(r["status"].startswith("failed") for r in table["rows"]) else 0


def make_parser() -> argparse.ArgumentParser:
    from causalrec.train.compare import DEFAULT_MODELS
    from causalrec.train.config import MODELS

    parser = _Parser(prog="causalrec", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = sub.add_parser("data", help="dataset utilities")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    stats = data_sub.add_parser("stats", help="users / items / interactions beside the paper's Table 3")
    _add_data_args(stats)
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=cmd_data_stats)

    train = sub.add_parser("train", help="train a model, evaluate the best epoch on test")
    train.add_argument("--model", default="causalrec",
                       help="one of: " + ", ".join(MODELS) + " (default: causalrec)")
    _add_data_args(train)
    _add_model_args(train)
    train.add_argument("--out", help="run folder (default: runs/DATASET/MODEL-seedSEED)")
    train.add_argument("--resume", action="store_true", help="continue from the run folder's checkpoint")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="evaluate a trained run on the test split")
    ev.add_argument("--run", required=True, help="run folder written by `causalrec train`")
    ev.add_argument("--mode", default="both", choices=["sampled100", "full", "both"])
    ev.add_argument("--data-dir", default=None)
    ev.set_defaults(func=cmd_evaluate)

    bench = sub.add_parser("bench", help="seconds per epoch: SASRec vs CausalRec, same data, one process")
    _add_data_args(bench)
    _add_model_args(bench)
    bench.add_argument("--out", help="also write the measurements as JSON here")
    bench.set_defaults(func=cmd_bench)

    compare = sub.add_parser("compare", help="train several models on one dataset with one seed; "
                                             "write one results table (JSON and Markdown)")
    compare.add_argument("--models", default=",".join(DEFAULT_MODELS),
                         help="comma-separated (default: " + ",".join(DEFAULT_MODELS) + ")")
    _add_data_args(compare)
    compare.add_argument("--preset", default="paper", choices=["paper", "quick"])
    compare.add_argument("--seed", type=int, default=42)
    compare.add_argument("--epochs", type=int, help="epoch cap for every model (default: the preset's)")
    compare.add_argument("--device", help="auto (default), cpu, cuda, mps")
    compare.add_argument("--set", action="append", default=[], metavar="MODEL:SECTION.FIELD=VALUE",
                         help="per-model override, e.g. bsarec:train.epochs=20; repeatable")
    compare.add_argument("--out", help="folder for compare.json and compare.md (default: results/DATASET)")
    compare.add_argument("--runs", default="runs/compare", help="folder for the per-model run folders")
    compare.add_argument("--reuse", action="store_true",
                         help="keep finished runs whose saved config is identical (resume a comparison)")
    compare.add_argument("--resume", action="store_true",
                         help="continue unfinished runs from their checkpoints (e.g. after raising "
                              "an epoch cap with --set MODEL:train.epochs=N)")
    compare.add_argument("--in-process", action="store_true",
                         help="train every model in this process (faster start; peak memory cumulative)")
    compare.set_defaults(func=cmd_compare)

    from causalrec.lab_cli import register as register_lab

    register_lab(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    from causalrec.train.config import MODELS

    if getattr(args, "model", None) not in (None, *MODELS):
        parser.error(f"unknown model {args.model!r}; choose one of: {', '.join(MODELS)}")
    from causalrec.data import DatasetNotFoundError
    from causalrec.train.config import ConfigError

    try:
        return args.func(args)
    except (CliError, ConfigError, DatasetNotFoundError) as err:
        print(f"causalrec: error: {err}".replace("\n", " "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("causalrec: interrupted (the last finished epoch is in checkpoint.pt; use --resume)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
