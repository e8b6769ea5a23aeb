"""Sequences from interactions: id remap, min_len, leave-one-out split, stats, cache."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest

from causalrec.data import SequenceData, fixtures, load_dataset
from causalrec.data.preprocess import build_sequences, resolve_cache_dir


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALREC_CACHE", str(tmp_path / "cache"))


def frame(rows):
    return pd.DataFrame(rows, columns=["user", "item", "order"])


ROWS = [  # (user, raw item, order) in file order
    ("u2", 50, 3), ("u1", 70, 2), ("u2", 10, 1), ("u1", 10, 9), ("u1", 30, 2),
    ("u3", 99, 0), ("u3", 50, 1), ("u2", 30, 2), ("u1", 50, 5), ("u2", 70, 1),
]


def test_remap_sorted_raw_ids_and_min_len():
    data = build_sequences(frame(ROWS), name="toy", source="rows", min_len=3)
    assert data.raw_user_ids.tolist() == ["u1", "u2"]  # u3 has 2 rows: dropped
    assert data.raw_user_ids.dtype.kind == "U"  # string ids stay strings (no pickling)
    assert data.raw_item_ids.tolist() == [-1, 10, 30, 50, 70]  # 99 left with u3
    # u1: 70@2, 30@2 (tie: file order), 50@5, 10@9 ; u2: 10@1, 70@1 (tie), 30@2, 50@3
    assert [s.tolist() for s in data.sequences] == [[4, 2, 3, 1], [1, 4, 2, 3]]
    assert all(s.dtype == np.int64 for s in data.sequences)
    assert data.num_items == 4 and data.num_users == 2 and data.num_interactions == 8


def test_integer_raw_ids_keep_int_dtype_and_placeholder():
    rows = [(7, 300, 0), (7, 100, 1), (7, 200, 2), (1, 100, 0)]
    data = build_sequences(frame(rows), name="toy", source="rows", min_len=1)
    assert data.raw_user_ids.tolist() == [1, 7]
    assert data.raw_item_ids.tolist() == [-1, 100, 200, 300]
    assert data.sequences[1].tolist() == [3, 1, 2]
    assert min(s.min() for s in data.sequences) >= 1  # 0 is padding


def test_split_is_leave_one_out():
    seqs = [np.array([1, 2, 3, 4, 5]), np.array([6, 7, 8])]
    data = SequenceData("toy", seqs, 8, np.array([0, 1]), np.arange(-1, 8), "handmade")
    train_h, train_t = data.split("train")
    assert [h.tolist() for h in train_h] == [[1, 2, 3], [6]]
    assert train_t.size == 0 and train_t.dtype == np.int64
    valid_h, valid_t = data.split("valid")
    assert [h.tolist() for h in valid_h] == [[1, 2, 3], [6]] and valid_t.tolist() == [4, 7]
    test_h, test_t = data.split("test")
    assert [h.tolist() for h in test_h] == [[1, 2, 3, 4], [6, 7]] and test_t.tolist() == [5, 8]
    assert data.user_items(0).tolist() == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="choose one of: train, valid, test"):
        data.split("dev")


def test_split_refuses_short_sequences():
    data = SequenceData("toy", [np.array([1, 2])], 2, np.array([0]), np.arange(-1, 2), "x")
    with pytest.raises(ValueError, match="min_len >= 3"):
        data.split("test")


def test_stats():
    seqs = [np.array([1, 2, 3]), np.array([1, 2, 3, 4, 5]), np.array([2, 4, 6, 1])]
    data = SequenceData("toy", seqs, 10, np.array([5, 6, 7]), np.arange(-1, 10), "handmade")
    stats = data.stats()
    assert (stats["users"], stats["items"], stats["interactions"]) == (3, 10, 12)
    assert stats["mean_len"] == 4.0 and stats["median_len"] == 4.0
    assert (stats["min_len"], stats["max_len"]) == (3, 5)
    assert stats["density"] == pytest.approx(12 / 30)
    assert stats["source"] == "handmade"


def test_inconsistent_ids_are_rejected():
    with pytest.raises(ValueError, match="num_items \\+ 1"):
        SequenceData("toy", [np.array([1, 2, 3])], 3, np.array([0]), np.arange(3), "x")


def test_cache_is_reused_and_invalidated(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "KGRec-dataset" / "KGRec-music"
    path = fixtures.write_kgrec_music(folder)
    first = load_dataset("kgrec-music", tmp_path / "data")
    cached = list((resolve_cache_dir()).glob("kgrec-music-*.npz"))
    assert len(cached) == 1

    def boom(*args, **kwargs):
        raise AssertionError("raw file read although the cache is valid")

    with monkeypatch.context() as patch:
        patch.setattr("causalrec.data.readers.read_kgrec_music", boom)
        again = load_dataset("kgrec-music", tmp_path / "data")
    assert [s.tolist() for s in again.sequences] == [s.tolist() for s in first.sequences]
    assert again.raw_item_ids.tolist() == first.raw_item_ids.tolist()
    assert again.source == first.source
    # a changed raw file (size and mtime) gives a new key and a rebuilt dataset
    path.write_text(path.read_text() + "9\t500\t1\n")
    os.utime(path, ns=(1, 1))
    changed = load_dataset("kgrec-music", tmp_path / "data")
    assert changed.num_users == 3 and changed.num_items == 5
    # options are part of the key too
    assert load_dataset("kgrec-music", tmp_path / "data", min_len=4).num_users == 0
    assert len(list(resolve_cache_dir().glob("kgrec-music-*.npz"))) == 3


def test_cache_keeps_item_names_and_int_ids(tmp_path):
    fixtures.write_lastfm(tmp_path / "data" / "hetrec2011-lastfm-2k")
    first = load_dataset("lastfm", tmp_path / "data")
    again = load_dataset("lastfm", tmp_path / "data")
    assert again.item_names == first.item_names and again.item_names
    assert again.raw_user_ids.dtype == np.int64


def test_unwritable_cache_only_warns(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("CAUSALREC_CACHE", str(blocker))
    data_dir = tmp_path / "data"
    fixtures.write_kgrec_music(data_dir / "KGRec-dataset" / "KGRec-music")
    before = sorted(p for p in data_dir.rglob("*"))
    with caplog.at_level(logging.WARNING, logger="causalrec.data"):
        data = load_dataset("kgrec-music", data_dir)
    assert data.num_users == 2
    assert "could not write the processed-data cache" in caplog.text
    assert sorted(p for p in data_dir.rglob("*")) == before  # nothing written in the data dir
