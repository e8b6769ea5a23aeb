"""``causalrec lab ...``: the causal-discovery lab (book chapters 2–3) from the command line.

Sub-commands (each prints its table; ``--out FILE`` also writes JSON with the exact
command and the machine it ran on):

* ``notears-bench``     linear NOTEARS, ER2, n = 1000: d = 20 / 10 equal variance and
  d = 20 standardised, seeds 1–5, with the acceptance checks.
* ``notears-sweep``     SHD / TPR / FDR over d, ER2 / SF2 and noise condition.
* ``identifiability``   exhaustive search over the 720 orderings of d = 6 graphs.
* ``varsortability``    varsortability of the simulated datasets.
* ``acyclicity-cost``   forward + backward seconds of h, n ∈ {50, …, 400}, log–log slopes.
* ``dag-targets``       h under each ``dag_target`` mode and the eq. (18) trajectories.

Timings are single-threaded: torch is set to one thread here, numpy / scipy follow
``OMP_NUM_THREADS`` (the Makefile's ``lab`` target sets it to 1).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shlex
from pathlib import Path
from typing import Any

log = logging.getLogger("causalrec.lab")

_CONDITIONS = ("equal", "standardised", "unequal")
_KINDS = ("expm", "poly", "logdet", "spectral")


def _machine() -> dict[str, Any]:
    """Versions and hardware (``causalrec.train.checkpoint.environment``) plus the CPU model
    and the thread settings that decide single-thread timings."""
    import scipy
    import torch

    from causalrec.train.checkpoint import environment

    env = environment(torch.device("cpu"))
    env["scipy"] = scipy.__version__
    env["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS")
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                env["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return env


def _command(args: argparse.Namespace) -> str:
    """The full command line that reproduces ``args`` (every option spelled out)."""
    parser: argparse.ArgumentParser = args._lab_parser
    words = ["causalrec", "lab", args.lab_command]
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "out"):
            continue
        value = getattr(args, action.dest, None)
        flag = action.option_strings[-1]
        if isinstance(action, argparse._StoreTrueAction):
            if value:
                words.append(flag)
        elif value is not None:
            words += [flag, *map(str, value)] if isinstance(value, list) else [flag, str(value)]
    if getattr(args, "out", None):
        words += ["--out", str(args.out)]
    return " ".join(shlex.quote(w) for w in words)


def _finish(args: argparse.Namespace, result: dict[str, Any]) -> int:
    if args.out:
        from causalrec.train.checkpoint import write_json

        payload = {"command": _command(args), "machine": _machine(), **result}
        write_json(Path(args.out), _json_safe(payload))
        print(f"written: {args.out}")
    return 0


def _json_safe(obj: Any) -> Any:
    """inf / nan become None (strict JSON); tuples become lists."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _single_thread() -> None:
    import torch

    torch.set_num_threads(1)  # never k > 1: batched CPU LU of this torch build breaks
    if os.environ.get("OMP_NUM_THREADS") != "1":
        log.warning("OMP_NUM_THREADS is not 1: numpy/scipy may use several threads, so "
                    "seconds per fit are not single-thread timings")


# --------------------------------------------------------------------------- commands
def cmd_notears_bench(args: argparse.Namespace) -> int:
    from causalrec.discovery.experiments import format_table, notears_benchmark

    _single_thread()
    result = notears_benchmark(args.seeds, args.lambdas, n=args.n, acyclicity=args.acyclicity,
                               progress=args.progress)
    print(f"linear NOTEARS ({args.acyclicity}), ER2, n={args.n}, Gaussian, seeds {args.seeds}, "
          f"threshold 0.3; means over seeds")
    print(format_table(result["summary"], ["lambda1", "d", "condition", "runs", "shd", "shd_std", "tpr",
                                           "fdr", "fpr", "nnz", "not_dag", "converged", "seconds",
                                           "cpu_seconds", "varsortability"]))
    for check in result["checks"]:
        print(f"  lambda1={check['lambda1']:<4} {check['check']:<32} value {check['value']:.3f}  "
              f"{'PASS' if check['passed'] else 'FAIL'}")
    print("seconds: wall time per fit; cpu_seconds: CPU time per fit (one thread: OMP_NUM_THREADS=1)")
    return _finish(args, result)


def cmd_notears_sweep(args: argparse.Namespace) -> int:
    from causalrec.discovery.experiments import format_table, notears_sweep, summarise

    _single_thread()
    seeds = {d: (args.seeds_large if args.seeds_large and d >= args.large_d else args.seeds) for d in args.ds}
    records = []
    for kind in args.acyclicity:
        records += notears_sweep(args.ds, args.graphs, args.conditions, seeds, n=args.n,
                                 edges_per_node=args.edges_per_node, lambda1=args.lambda1,
                                 acyclicity=kind, progress=args.progress)
    summary = summarise(records)
    print(f"linear NOTEARS, n={args.n}, lambda1={args.lambda1}, {args.edges_per_node:g} edges per node; "
          f"means over seeds")
    print(format_table(summary, ["acyclicity", "graph_type", "d", "condition", "runs", "shd", "shd_std",
                                 "tpr", "fdr", "fpr", "nnz", "not_dag", "converged", "seconds", "cpu_seconds",
                                 "varsortability"]))
    return _finish(args, {"summary": summary, "records": records,
                          "settings": {"seeds": {str(k): v for k, v in seeds.items()}}})


def _parse_n(value: str) -> int | None:
    if value in ("population", "inf"):
        return None
    return int(value)


def cmd_identifiability(args: argparse.Namespace) -> int:
    from causalrec.discovery.identifiability import identifiability_experiment

    results = []
    for n_text in args.n:
        n = _parse_n(n_text)
        for edges in args.edges_per_node:
            result = identifiability_experiment(args.graphs, args.d, graph_type=args.graph_type,
                                                edges_per_node=edges, n=n, progress=args.progress)
            results.append(result)
            s = result["settings"]
            print(f"d={s['d']} {s['graph_type']}{edges:g} ({int(round(edges * args.d))} edges), "
                  f"n={'population' if n is None else n}: best of {s['orderings']} orderings under the "
                  f"equal-variance least-squares score, {s['num_graphs']} graphs")
            for condition, c in result["counts"].items():
                print(f"  {condition:<13} identified {c['identified']:>3}/{c['graphs']}  causal order "
                      f"{c['order_consistent']:>3}/{c['graphs']}  mean SHD {c['mean_shd']:.2f}  "
                      f"varsortability {c['mean_varsortability']:.3f}")
    return _finish(args, {"experiments": results})


def cmd_varsortability(args: argparse.Namespace) -> int:
    from causalrec.discovery.experiments import format_table, varsortability_study

    rows = varsortability_study(args.ds, args.graphs, args.conditions, range(1, args.seeds + 1), n=args.n,
                                edges_per_node=args.edges_per_node)
    print(f"varsortability (fraction of directed paths along which variance increases), n={args.n}")
    print(format_table(rows, ["graph_type", "d", "condition", "seeds", "mean", "min", "max"]))
    return _finish(args, {"rows": rows})


def cmd_acyclicity_cost(args: argparse.Namespace) -> int:
    import torch

    from causalrec.discovery.acyclicity_cost import acyclicity_cost
    from causalrec.discovery.experiments import format_table

    _single_thread()
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    result = acyclicity_cost(args.ns, args.batch, args.kinds, dtype=dtype, device=args.device)
    rows = []
    for kind in args.kinds:
        for size in (1, args.batch):
            row = {"kind": kind, "batch": size}
            for r in result["rows"]:
                if r["kind"] == kind and r["batch"] == size:
                    row[f"n={r['n']}"] = r["seconds"]
            label = "single" if size == 1 else "batch"
            row["slope"] = result["slopes"][kind][label]
            row["slope_cpu"] = result["slopes"][kind][f"{label}_cpu"]
            rows.append(row)
    print(f"forward+backward wall seconds ({args.dtype}, {args.device}, {torch.get_num_threads()} "
          f"thread(s)); slope = d log(seconds) / d log(n); slope_cpu: the same on CPU time")
    print(format_table(rows, ["kind", "batch", *[f"n={n}" for n in args.ns], "slope", "slope_cpu"],
                       floats="{:.4g}"))
    return _finish(args, {**result, "table": rows})


def cmd_dag_targets(args: argparse.Namespace) -> int:
    from causalrec.discovery.experiments import format_table
    from causalrec.discovery.target_dynamics import h_by_target, lagrangian_trajectories

    _single_thread()
    table = h_by_target(args.n, args.dim, args.batch, seed=args.seed)
    print(f"h of the penalised matrix, LayerNorm-ed positional covariance of a linear SEM over "
          f"n={args.n} positions (n(e-1) = {table['n_times_e_minus_1']:.2f}; empty = +inf, outside "
          f"the log-det domain); sem: B fitted by least squares + L1 + eq. (18)")
    print(format_table(table["rows"], ["kind", "h_paper", "h_offdiag", "h_sem", "sem_shd", "sem_is_dag"],
                       floats="{:.4g}").replace("None", "inf"))
    runs = lagrangian_trajectories(args.n, args.dim, args.batch, kind=args.kind, epochs=args.epochs,
                                   steps_per_epoch=args.steps, seed=args.seed)
    for mode, run in runs["runs"].items():
        print(f"dag_target={mode}: kappa / rho / beta per epoch ({args.kind}); final mean |offdiag W| "
              f"{run['offdiag_abs_mean']:.4f}, mean diag W {run['diag_mean']:.4f}, "
              f"graph |.|>0.3 SHD {run['final_graph']['shd']} (true edges {runs['true_edges']})"
              + (f"; stopped: {run['stopped']}" if run["stopped"] else ""))
        print(format_table(run["history"], ["epoch", "h", "rho", "beta", "fidelity", "diag_mean"],
                           floats="{:.4g}"))
    return _finish(args, {"h_by_target": table, "trajectories": runs})


# --------------------------------------------------------------------------- parser
def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lab`` and its sub-commands to ``causalrec``'s sub-parsers."""
    lab = subparsers.add_parser("lab", help="causal-discovery lab: NOTEARS, identifiability, Table 1 cost")
    lab_sub = lab.add_subparsers(dest="lab_command", required=True, parser_class=type(lab))

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = lab_sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--out", help="also write the result as JSON here (e.g. results/lab/NAME.json)")
        p.set_defaults(func=func, _lab_parser=p)
        return p

    p = command("notears-bench", cmd_notears_bench,
                "linear NOTEARS on ER2, n=1000: d=20/10 equal variance, d=20 standardised")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--lambdas", type=float, nargs="+", default=[0.0, 0.1], help="L1 weights to run")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--acyclicity", choices=_KINDS, default="expm")
    p.add_argument("--progress", action="store_true")

    p = command("notears-sweep", cmd_notears_sweep, "SHD/TPR/FDR of linear NOTEARS over d, graph and noise")
    p.add_argument("--ds", type=int, nargs="+", default=[10, 20, 50])
    p.add_argument("--graphs", nargs="+", choices=["ER", "SF"], default=["ER", "SF"])
    p.add_argument("--conditions", nargs="+", choices=_CONDITIONS, default=list(_CONDITIONS))
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--seeds-large", type=int, nargs="+", default=None,
                   help="seeds for d >= --large-d (default: --seeds)")
    p.add_argument("--large-d", type=int, default=50)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--edges-per-node", type=float, default=2.0)
    p.add_argument("--lambda1", type=float, default=0.1)
    p.add_argument("--acyclicity", nargs="+", choices=_KINDS, default=["expm"])
    p.add_argument("--progress", action="store_true")

    p = command("identifiability", cmd_identifiability,
                "exhaustive search over all orderings (d=6: 720) under the equal-variance score")
    p.add_argument("--graphs", type=int, default=50, help="number of random graphs")
    p.add_argument("--d", type=int, default=6)
    p.add_argument("--graph-type", choices=["ER", "SF"], default="ER")
    p.add_argument("--edges-per-node", type=float, nargs="+", default=[1.0, 2.0])
    p.add_argument("--n", nargs="+", default=["1000", "population"],
                   help="sample sizes; 'population' uses the exact covariance")
    p.add_argument("--progress", action="store_true")

    p = command("varsortability", cmd_varsortability, "varsortability of the simulated datasets")
    p.add_argument("--ds", type=int, nargs="+", default=[6, 10, 20, 50])
    p.add_argument("--graphs", nargs="+", choices=["ER", "SF"], default=["ER", "SF"])
    p.add_argument("--conditions", nargs="+", choices=_CONDITIONS, default=list(_CONDITIONS))
    p.add_argument("--seeds", type=int, default=10, help="seeds 1..SEEDS")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--edges-per-node", type=float, default=2.0)

    p = command("acyclicity-cost", cmd_acyclicity_cost,
                "forward+backward seconds of each acyclicity function (Table 1, measured)")
    p.add_argument("--ns", type=int, nargs="+", default=[50, 100, 200, 400])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--kinds", nargs="+", choices=_KINDS, default=list(_KINDS))
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--device", default="cpu")

    p = command("dag-targets", cmd_dag_targets,
                "h under each dag_target mode and the augmented-Lagrangian trajectories")
    p.add_argument("--n", type=int, default=20, help="positions (nodes)")
    p.add_argument("--dim", type=int, default=32, help="hidden size D")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--kind", choices=_KINDS, default="expm", help="acyclicity function of the trajectories")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--steps", type=int, default=20, help="Adam steps per epoch")
    p.add_argument("--seed", type=int, default=0)
