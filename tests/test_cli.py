"""Command line: bad input gives one line and exit code 2; commands run end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from causalrec.cli import main


def _run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "causalrec.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


@pytest.mark.parametrize("args,needle", [
    (["train", "--dataset", "netflix"], "unknown dataset 'netflix'"),
    (["train", "--alpha", "-1"], "alpha=-1.0"),
    (["train", "--max-len", "1"], "max_len=1"),
    (["train", "--data-dir", "/nonexistent/folder"], "does not exist"),
    (["data", "stats", "--dataset", "netflix"], "unknown dataset"),
    (["train", "--boost", "add"], "invalid choice"),
])
def test_bad_arguments_one_line_exit_2(args, needle, capsys):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(args))
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_missing_dataset_names_file_url_and_env_var(tmp_path):
    proc = _run("data", "stats", "--dataset", "lastfm", "--data-dir", str(tmp_path))
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "user_artists.dat" in err[0] and "CAUSALREC_DATA" in err[0] and "http" in err[0]


def test_train_and_evaluate_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--dataset", "synthetic", "--model", "sasrec", "--preset", "quick",
                 "--epochs", "1", "--max-len", "10", "--no-progress", "--out", str(out)])
    assert code == 0
    assert "test sampled100" in capsys.readouterr().out
    result = json.loads((out / "result.json").read_text())
    assert result["epochs_run"] == 1 and result["model"] == "sasrec"
    assert main(["evaluate", "--run", str(out), "--mode", "sampled100"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["sampled100"] == result["test"]["sampled100"]


def test_bench_prints_both_models_and_ratio(capsys):
    code = main(["bench", "--dataset", "synthetic", "--preset", "quick", "--epochs", "1",
                 "--max-len", "10", "--max-steps", "2", "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "SASRec" in out and "CausalRec" in out and "ratio" in out


@pytest.mark.skipif(not os.environ.get("CAUSALREC_DATA"), reason="needs CAUSALREC_DATA")
def test_data_stats_lastfm_matches_table3():
    lastfm = os.path.join(os.environ["CAUSALREC_DATA"], "hetrec2011-lastfm-2k")
    if not os.path.isdir(lastfm):
        pytest.skip("LastFM not in CAUSALREC_DATA")
    proc = _run("data", "stats", "--dataset", "lastfm", "--json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)["stats"]
    assert (stats["users"], stats["items"], stats["interactions"]) == (1892, 17632, 92834)
