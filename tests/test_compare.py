"""``causalrec train --model NAME`` for every model, and ``causalrec compare``."""

from __future__ import annotations

import json

import pytest

from causalrec.cli import main
from causalrec.train.compare import apply_overrides, format_markdown, parse_overrides
from causalrec.train.config import MODELS, ConfigError, paper, quick


def _one_line_error(capsys, args, needle):
    with pytest.raises(SystemExit) as exc:  # argparse errors exit; the others return 2
        raise SystemExit(main(args))
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("name", MODELS)
def test_train_accepts_every_model(name, tmp_path, capsys):
    out = tmp_path / name
    code = main(["train", "--dataset", "synthetic", "--model", name, "--preset", "quick",
                 "--epochs", "1", "--max-steps", "1", "--max-len", "10", "--no-progress",
                 "--out", str(out)])
    assert code == 0
    assert "test sampled100" in capsys.readouterr().out
    result = json.loads((out / "result.json").read_text())
    assert result["model"] == name
    assert 0.0 <= result["test"]["full"]["NDCG@10"] <= 1.0


@pytest.mark.parametrize("args,needle", [
    (["train", "--model", "causer"], "unknown model 'causer'"),
    (["train", "--model", "gru4rec", "--alpha", "2"], "--alpha does not apply to model gru4rec"),
    (["train", "--model", "narm", "--model-option", "hidden"], "expected KEY=VALUE"),
    (["train", "--model", "narm", "--model-option", "hiden=3"], "no option 'hiden'"),
    (["train", "--model", "sasrec", "--model-option", "hidden=3"], "--model-option is for the baselines"),
    (["compare", "--models", "sasrec,causer"], "unknown model 'causer' (Causer"),
    (["compare", "--models", "sasrec", "--set", "sasrec.train.epochs=3"], "MODEL:SECTION.FIELD=VALUE"),
    (["compare", "--models", "sasrec", "--set", "sasrec:train.epoch=3"], "train has no field 'epoch'"),
])
def test_bad_model_arguments_one_line_exit_2(args, needle, capsys):
    _one_line_error(capsys, args, needle)


def test_cli_hidden_sets_the_baseline_option(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "synthetic", "--model", "gru4rec", "--preset", "quick",
                 "--epochs", "1", "--max-steps", "1", "--max-len", "10", "--hidden", "12",
                 "--model-option", "dropout_hidden=0.1", "--no-progress", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["baseline"] == {"hidden": 12, "dropout_hidden": 0.1}
    assert result["model_config"]["hidden"] == 12


def test_presets_give_each_baseline_its_published_objective():
    assert paper("lastfm", "bpr_mf").train.loss == "bpr"
    g = paper("lastfm", "gru4rec").train
    assert (g.loss, g.num_negatives, g.sample_alpha) == ("ce_sampled", 2048, 0.5)
    b = paper("lastfm", "bsarec")
    assert (b.train.loss, b.train.train_targets, b.model.max_len, b.train.beta2) == \
        ("ce", "last_position", 50, 0.999)
    assert paper("lastfm", "stamp").train.lr == 0.003
    assert paper("lastfm", "sasrec").train.loss == "bce"
    assert quick("synthetic", "narm").train.lr == quick("synthetic", "sasrec").train.lr


def test_overrides_parse_and_apply():
    parsed = parse_overrides(["bsarec:train.epochs=20", "narm:baseline.hidden=50",
                              "stamp:train.loss=ce_sampled"])
    assert parsed == {"bsarec": {"train.epochs": 20}, "narm": {"baseline.hidden": 50},
                      "stamp": {"train.loss": "ce_sampled"}}
    cfg = apply_overrides(quick("synthetic", "narm"), parsed["narm"])
    assert cfg.baseline == {"hidden": 50}
    with pytest.raises(ConfigError, match="SECTION"):
        parse_overrides(["narm:lr=3"])


def test_compare_writes_one_table_with_provenance(tmp_path, capsys):
    out, runs = tmp_path / "results", tmp_path / "runs"
    args = ["compare", "--dataset", "synthetic", "--preset", "quick", "--seed", "3",
            "--models", "most_popular,gru4rec", "--epochs", "1", "--in-process",
            "--set", "gru4rec:baseline.hidden=8", "--set", "gru4rec:model.max_len=10",
            "--out", str(out), "--runs", str(runs)]
    assert main(args) == 0
    table = json.loads((out / "compare.json").read_text())
    assert table["command"].startswith("causalrec compare --dataset synthetic")
    assert table["seed"] == 3 and table["environment"]["git_commit"]
    rows = {r["model"]: r for r in table["rows"]}
    assert [r["model"] for r in table["rows"]] == ["most_popular", "gru4rec", "causer", "vtrnn"]
    gru = rows["gru4rec"]
    assert gru["status"] == "rerun" and gru["epochs"] == 1 and gru["model_config"]["hidden"] == 8
    assert gru["config"]["model"]["max_len"] == 10 and gru["seconds_per_epoch"] > 0
    for mode in ("sampled100", "full"):
        assert set(gru["test"][mode]) == {"HR@10", "NDCG@10"}
    assert gru["peak_memory_mb"] > 0
    assert gru["history"]["epoch"] == [1] and gru["history"]["valid_NDCG@10"][0] is not None
    assert gru["train_seconds"] == pytest.approx(gru["history"]["seconds"][0], abs=1e-3)
    assert rows["most_popular"]["history"] is None  # nothing trained, no per-epoch record
    assert rows["causer"]["status"] == "not rerun" and "public code" in rows["causer"]["reason"]
    md = (out / "compare.md").read_text()
    assert md == format_markdown(table)
    assert "TODO (paper Table 2)" in md and "| Causer | not rerun |" in md
    assert "| GRU4Rec | ce_sampled | 1 (1) | no (cap 1) |" in md
    # a second run with --reuse keeps the finished runs instead of training again
    before = (runs / "synthetic" / "gru4rec-seed3" / "result.json").stat().st_mtime_ns
    assert main(args + ["--reuse"]) == 0
    assert (runs / "synthetic" / "gru4rec-seed3" / "result.json").stat().st_mtime_ns == before
    again = json.loads((out / "compare.json").read_text())
    assert again["reused"] == ["most_popular", "gru4rec"] and table["reused"] == []
    assert "it reused the finished runs of most_popular, gru4rec" in (out / "compare.md").read_text()
    capsys.readouterr()


def test_compare_trains_each_model_in_its_own_process(tmp_path, capsys):
    from causalrec.train.compare import run_compare

    table = run_compare(["most_popular"], "synthetic", "quick", seed=1, runs_dir=tmp_path / "runs")
    row = table["rows"][0]
    assert row["model"] == "most_popular" and row["status"] == "rerun" and row["epochs"] == 0
    assert table["isolated_processes"] and row["peak_memory_mb"] > 0


def test_compare_resume_continues_a_capped_run(tmp_path, capsys):
    runs = tmp_path / "runs"
    base = ["compare", "--dataset", "synthetic", "--preset", "quick", "--models", "bpr_mf",
            "--in-process", "--out", str(tmp_path / "out"), "--runs", str(runs)]
    assert main(base + ["--epochs", "2"]) == 0
    run = runs / "synthetic" / "bpr_mf-seed42"
    first = [json.loads(line)["epoch"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert first == [1, 2]
    assert main(base + ["--set", "bpr_mf:train.epochs=3", "--resume"]) == 0
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]  # continued, not restarted
    table = json.loads((tmp_path / "out" / "compare.json").read_text())
    row = table["rows"][0]
    assert row["epochs"] == 3 and row["history"]["epoch"] == [1, 2, 3]
    assert row["train_seconds"] == pytest.approx(sum(row["history"]["seconds"]), abs=1e-3)
    capsys.readouterr()


def test_reuse_ignores_the_cap_of_an_early_stopped_run(tmp_path, capsys):
    runs = tmp_path / "runs"
    base = ["compare", "--dataset", "synthetic", "--preset", "quick", "--models", "bpr_mf",
            "--in-process", "--out", str(tmp_path / "out"), "--runs", str(runs),
            "--set", "bpr_mf:train.patience=1"]
    assert main(base + ["--epochs", "50"]) == 0
    result = runs / "synthetic" / "bpr_mf-seed42" / "result.json"
    first = json.loads(result.read_text())
    assert first["stopped_early"] and first["epochs_run"] < 50
    stamp = result.stat().st_mtime_ns
    # it stopped before either cap, so a higher cap asks for the same run: reused
    assert main(base + ["--epochs", "80", "--reuse"]) == 0
    assert result.stat().st_mtime_ns == stamp
    assert json.loads((tmp_path / "out" / "compare.json").read_text())["reused"] == ["bpr_mf"]
    # a cap at or below its last epoch would have cut it: trained again
    assert main(base + ["--epochs", str(first["epochs_run"] - 1), "--reuse"]) == 0
    assert result.stat().st_mtime_ns != stamp
    again = json.loads(result.read_text())
    assert not again["stopped_early"] and again["epochs_run"] == first["epochs_run"] - 1
    # ... and that capped run is not reused under a higher cap either
    stamp = result.stat().st_mtime_ns
    assert main(base + ["--epochs", "80", "--reuse"]) == 0
    assert result.stat().st_mtime_ns != stamp
    capsys.readouterr()
