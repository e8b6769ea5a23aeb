"""Causal-discovery lab: experiments as functions and the ``causalrec lab`` commands."""

import json
import math
import shlex

import numpy as np
import pytest

from causalrec.cli import main
from causalrec.discovery.acyclicity_cost import acyclicity_cost, fit_loglog_slope
from causalrec.discovery.experiments import (
    fit_record,
    format_table,
    make_dataset,
    notears_sweep,
    summarise,
    varsortability_study,
)
from causalrec.discovery.identifiability import (
    best_dag_for_ordering,
    exhaustive_search,
    identifiability_experiment,
)
from causalrec.discovery.sem import population_covariance
from causalrec.discovery.target_dynamics import h_by_target, lagrangian_trajectories


def test_datasets_share_graph_and_conditions_differ():
    equal = make_dataset(8, "ER", n=500, seed=3, condition="equal")
    std = make_dataset(8, "ER", n=500, seed=3, condition="standardised")
    unequal = make_dataset(8, "ER", n=500, seed=3, condition="unequal")
    assert np.array_equal(equal.W_true, std.W_true) and np.array_equal(equal.W_true, unequal.W_true)
    assert int(equal.B_true.sum()) == 16
    np.testing.assert_allclose(std.X, (equal.X - equal.X.mean(0)) / equal.X.std(0))
    np.testing.assert_allclose(np.diag(std.cov), 1.0)
    assert np.all(unequal.noise_scale >= 0.5) and np.all(unequal.noise_scale <= 2.0)
    assert np.ptp(unequal.noise_scale) > 0
    population = make_dataset(8, "ER", n=None, seed=3, condition="standardised")
    np.testing.assert_allclose(np.diag(population.cov), 1.0)
    with pytest.raises(ValueError, match="equal, standardised, unequal"):
        make_dataset(5, condition="raw")


def test_best_dag_for_ordering_score_is_the_least_squares_loss():
    W = np.zeros((4, 4))
    W[0, 1], W[1, 2], W[0, 3], W[2, 3] = 1.0, -0.8, 0.7, 1.5
    S = population_covariance(W)
    order = (0, 1, 2, 3)
    W_hat, score = best_dag_for_ordering(S, order)
    np.testing.assert_allclose(W_hat, W, atol=1e-12)  # exact in the population
    R = np.eye(4) - W_hat
    assert score == pytest.approx(0.5 * np.trace(R.T @ S @ R))
    assert score == pytest.approx(2.0)  # ½ Σ σ² = ½ · 4
    _, worse = best_dag_for_ordering(S, (3, 2, 1, 0))
    assert worse > score
    with pytest.raises(ValueError, match="permutation"):
        best_dag_for_ordering(S, (0, 1, 1, 3))


def test_exhaustive_search_identifies_equal_variance_graph():
    data = make_dataset(5, "ER", n=None, seed=2, condition="equal")
    search = exhaustive_search(data.cov)
    assert len(search["scores"]) == 120
    np.testing.assert_array_equal(search["W_best"] != 0, data.B_true != 0)
    assert search["best_score"] == pytest.approx(2.5)  # ½ d σ²


def test_identifiability_counts():
    result = identifiability_experiment(num_graphs=4, d=4, edges_per_node=1, n=None)
    counts = result["counts"]
    assert set(counts) == {"equal", "standardised", "unequal"}
    assert counts["equal"]["identified"] == 4 and counts["equal"]["graphs"] == 4
    assert counts["standardised"]["mean_varsortability"] == 0.5
    assert counts["standardised"]["identified"] < 4
    assert result["settings"]["orderings"] == 24
    assert len(result["per_graph"]) == 12


def test_sweep_summary_and_table():
    records = notears_sweep(ds=(5,), graph_types=("ER",), conditions=("equal", "standardised"), seeds=(1, 2),
                            n=2000, edges_per_node=1)
    assert len(records) == 4
    assert {"shd", "tpr", "fdr", "fpr", "nnz", "is_dag", "seconds", "varsortability"} <= set(records[0])
    summary = summarise(records)
    assert [(r["condition"], r["runs"]) for r in summary] == [("equal", 2), ("standardised", 2)]
    equal = summary[0]
    assert equal["shd"] == pytest.approx(np.mean([r["shd"] for r in records if r["condition"] == "equal"]))
    table = format_table(summary, ["condition", "runs", "shd"])
    assert table.splitlines()[0].split() == ["condition", "runs", "shd"] and len(table.splitlines()) == 3


def test_fit_record_flags_a_cyclic_estimate_instead_of_scoring_it_silently():
    data = make_dataset(5, "ER", n=500, seed=1)
    record = fit_record(data, lambda1=0.0, max_iter=1, rho_max=10.0)  # stopped long before h ≈ 0
    assert record["converged"] is False and record["h"] > 0.1
    assert record["is_dag"] is False  # reported, with the metrics of the graph as it is
    summary = summarise([record])
    assert summary[0]["not_dag"] == 1


def test_varsortability_study():
    rows = varsortability_study(ds=(6,), graph_types=("ER",), seeds=range(1, 4), n=2000)
    by_condition = {r["condition"]: r for r in rows}
    assert by_condition["standardised"]["mean"] == 0.5
    assert by_condition["equal"]["mean"] > 0.8


def test_acyclicity_cost_rows_and_slopes():
    result = acyclicity_cost(ns=(8, 16), batch=3, kinds=("expm", "logdet"), min_seconds=0.0, max_repeats=2)
    assert len(result["rows"]) == 2 * 2 * 2
    assert all(r["seconds"] > 0 for r in result["rows"])
    assert set(result["slopes"]) == {"expm", "logdet"}
    assert all(math.isfinite(v) for s in result["slopes"].values() for v in s.values())
    assert fit_loglog_slope([10, 20, 40], [1.0, 8.0, 64.0]) == pytest.approx(3.0)


def test_h_by_target_on_a_layernormed_covariance():
    table = h_by_target(n=6, dim=8, batch=16, kinds=("expm", "logdet"), sem_epochs=2, sem_steps=5)
    rows = {r["kind"]: r for r in table["rows"]}
    # unit diagonal: h_expm >= n(e - 1) (LayerNorm's eps makes the diagonal 1 - O(eps))
    assert rows["expm"]["h_paper"] >= table["n_times_e_minus_1"] * (1 - 1e-3)
    assert rows["expm"]["h_offdiag"] < rows["expm"]["h_paper"]
    assert rows["logdet"]["h_paper"] is None  # ρ(W∘W) >= 1 = s: outside the log-det domain
    assert rows["expm"]["h_sem"] >= 0


def test_lagrangian_trajectories():
    runs = lagrangian_trajectories(n=6, dim=8, batch=16, epochs=3, steps_per_epoch=3)["runs"]
    assert set(runs) == {"paper", "offdiag", "sem"}
    paper = runs["paper"]["history"]
    assert [r["rho"] for r in paper] == [10.0, 100.0, 1000.0]  # h never drops: ρ grows every epoch
    assert all(r["h"] > 5 for r in paper)
    assert runs["offdiag"]["history"][-1]["h"] < runs["offdiag"]["history"][0]["h"]
    assert "sem_ls" in runs["sem"]["history"][0]


def test_cli_identifiability_writes_json_with_command_and_machine(tmp_path, capsys):
    out = tmp_path / "ident.json"
    code = main(["lab", "identifiability", "--graphs", "3", "--d", "4", "--edges-per-node", "1",
                 "--n", "population", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "identified   3/3" in printed and "written:" in printed
    payload = json.loads(out.read_text())
    assert payload["experiments"][0]["counts"]["equal"]["identified"] == 3
    assert payload["machine"]["torch_threads"] == 1 and "python" in payload["machine"]
    words = shlex.split(payload["command"])
    assert words[:3] == ["causalrec", "lab", "identifiability"] and "--graphs" in words
    # the recorded command reproduces the run
    again = tmp_path / "again.json"
    assert main(words[1:-2] + ["--out", str(again)]) == 0
    assert json.loads(again.read_text())["experiments"] == payload["experiments"]


def test_cli_acyclicity_cost(tmp_path, capsys):
    out = tmp_path / "cost.json"
    assert main(["lab", "acyclicity-cost", "--ns", "8", "16", "--batch", "2", "--kinds", "expm", "poly",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "slope" in printed and "expm" in printed
    payload = json.loads(out.read_text())
    assert {"rows", "slopes", "table", "machine", "command"} <= set(payload)


def test_cli_bad_lab_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["lab", "nope"])
    assert exc.value.code == 2
