"""Checks on the real raw files, run only when CAUSALREC_DATA points at them.

Counts are those measured in shared/data/SOURCES.md and paper Table 3. The dataset files
are read in place; the processed cache goes to a temporary folder.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causalrec.data import load_dataset

DATA = os.environ.get("CAUSALREC_DATA")
LASTFM = "hetrec2011-lastfm-2k"


def _need(*parts: str) -> Path:
    if not DATA or not Path(DATA, *parts).exists():
        pytest.skip(f"CAUSALREC_DATA does not point at a folder holding {'/'.join(parts)}")
    return Path(DATA)


@pytest.fixture(scope="module", autouse=True)
def _module_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CAUSALREC_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def test_lastfm_matches_paper_table3():
    root = _need(LASTFM, "user_artists.dat")
    started = time.perf_counter()
    raw = load_dataset("lastfm", root, min_len=1)
    assert time.perf_counter() - started < 5
    assert (raw.num_users, raw.num_items, raw.num_interactions) == (1892, 17632, 92834)
    assert len(raw.item_names) == 17632
    # the leave-one-out default drops the 9 users with 1 or 2 artists
    data = load_dataset("lastfm", root)
    assert (data.num_users, data.num_items, data.num_interactions) == (1883, 17626, 92824)
    # each user's "sequence" is ascending artist ID: an ID order, not a time order
    assert all((np.diff(data.raw_item_ids[s]) > 0).all() for s in data.sequences)
    cached = load_dataset("lastfm", root)
    assert all(np.array_equal(a, b) for a, b in zip(cached.sequences, data.sequences))


def test_lastfm_tagged_reorders_the_same_pairs():
    root = _need(LASTFM, "user_taggedartists.dat")
    plain = load_dataset("lastfm", root, min_len=1)
    tagged = load_dataset("lastfm-tagged", root, min_len=1)
    assert (tagged.num_users, tagged.num_items, tagged.num_interactions) == (1892, 17632, 92834)
    assert all(np.array_equal(np.sort(a), np.sort(b))
               for a, b in zip(plain.sequences, tagged.sequences))
    assert sum(not np.array_equal(a, b) for a, b in zip(plain.sequences, tagged.sequences)) > 1000
    only = load_dataset("lastfm-tagged", root, min_len=1, tagged_only=True)
    assert (only.num_users, only.num_interactions) == (1824, 20665)  # SOURCES.md §2


def test_ml1m_loads_full_sequences():
    root = _need("ml-1m-seq", "ml-1m.txt")
    if Path(root, "ml-1m", "ratings.dat").exists():
        pytest.skip("the official ratings.dat is present; the sequence fallback is not used")
    started = time.perf_counter()
    data = load_dataset("ml-1m", root)
    assert time.perf_counter() - started < 10
    assert (data.num_users, data.num_items, data.num_interactions) == (6039, 3416, 999572)
    assert "ml-1m-seq/ml-1m.txt" in data.source and "partial" not in data.source.lower()
    stats = data.stats()
    assert (stats["min_len"], stats["max_len"], stats["median_len"]) == (18, 2277, 96.0)
    if Path(root, "ml-1m", "movies.dat").exists():
        assert len(data.item_names) == 3416
        assert "Star Wars: Episode IV - A New Hope (1977)" in data.item_names.values()


def test_ml1m_partial_ratings_fallback_agrees_with_sequences(tmp_path, caplog):
    root = _need("ml-1m", "partial-first-487650-ratings", "ratings.dat.gz")
    view = tmp_path / "data"
    view.mkdir()
    (view / "ml-1m").symlink_to(root / "ml-1m", target_is_directory=True)
    if (root / "ml-1m" / "ratings.dat").exists():
        pytest.skip("the official ratings.dat is present; the partial fallback is not used")
    with caplog.at_level(logging.WARNING, logger="causalrec.data"):
        partial = load_dataset("ml-1m", view)
    assert "partial" in partial.source.lower()
    assert "PARTIAL" in caplog.text
    assert (partial.num_users, partial.num_items, partial.num_interactions) == (2999, 3615, 487650)
    # SOURCES.md (ml-1m-seq README): for every mapped user, the time-sorted raw ratings
    # (ties in file order) restricted to the 5-core items reproduce the sequence line
    if not (root / "ml-1m-seq" / "user_map.tsv").exists():
        return
    full = load_dataset("ml-1m", root, variant="sequences")
    user_map = pd.read_csv(root / "ml-1m-seq" / "user_map.tsv", sep="\t")
    seq_row = {u: i for i, u in enumerate(full.raw_user_ids.tolist())}
    raw_row = {u: i for i, u in enumerate(partial.raw_user_ids.tolist())}
    kept_movies = set(full.raw_item_ids[1:].tolist())
    mismatches = 0
    for seq_user, raw_user in user_map.itertuples(index=False):
        movies = partial.raw_item_ids[partial.sequences[raw_row[raw_user]]].tolist()
        expected = [m for m in movies if m in kept_movies]
        got = full.raw_item_ids[full.sequences[seq_row[seq_user]]].tolist()
        mismatches += expected != got
    assert len(user_map) == 2999 and mismatches == 0


def test_published_checksums_match_the_files():
    from causalrec.data import get_spec
    from causalrec.data.download import verify_files

    root = _need(LASTFM, "user_artists.dat")
    for name in ("lastfm", "ml-1m"):
        report = verify_files(get_spec(name), root)
        assert report and all(report.values()), report
