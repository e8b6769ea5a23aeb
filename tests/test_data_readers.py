"""Raw-format readers on tiny fixtures (causalrec.data.fixtures), and load_dataset on them."""

from __future__ import annotations

import numpy as np
import pytest

from causalrec.data import fixtures, load_dataset, readers
from causalrec.data.fixtures import VENUES


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALREC_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def tree(tmp_path):
    return fixtures.write_all(tmp_path / "data")


def raw_sequences(data) -> dict:
    """{raw user id: [raw item ids in sequence order]}."""
    return {
        u: data.raw_item_ids[s].tolist()
        for u, s in zip(data.raw_user_ids.tolist(), data.sequences)
    }


# ------------------------------------------------------------------ Foursquare


def test_tsmc2014_is_chronological_by_utc_and_unique(tmp_path):
    path = fixtures.write_tsmc2014_nyc(tmp_path)
    frame = readers.read_tsmc2014(path)
    assert len(frame) == 8  # 12 check-ins, 8 distinct (user, venue) pairs
    assert not frame.duplicated(["user", "item"]).any()
    per_user = frame.groupby("user", sort=True)["item"].apply(list).to_dict()
    v = VENUES
    assert per_user == {1: [v["c"], v["a"], v["b"]], 2: [v["d"], v["e"], v["c"]],
                        3: [v["a"], v["f"]]}  # user 3 spans Apr 2012 .. Jan 2013
    assert (frame.groupby("user")["order"].diff().dropna() >= 0).all()
    assert "Café" in set(frame["category"])  # latin-1 decoded


def test_tsmc2014_all_checkins_keep_file_order_for_ties(tmp_path):
    frame = readers.read_tsmc2014(fixtures.write_tsmc2014_nyc(tmp_path), unique=False)
    assert len(frame) == 12
    user2 = frame[frame.user == 2]["item"].tolist()
    v = VENUES
    assert user2 == [v["d"], v["e"], v["c"], v["d"]]  # c and d tie at Apr 05 12:00: file order
    first = frame.iloc[0]
    assert first["utc_time"] == "Mon Apr 02 23:59:59 +0000 2012"
    assert first["order"] == 1333411199  # seconds since the epoch, UTC


def test_foursquare_load(tree):
    data = load_dataset("foursquare", tree)
    assert (data.num_users, data.num_items, data.num_interactions) == (2, 5, 6)  # user 3 < 3
    full = load_dataset("foursquare", tree, min_len=1, unique=False)
    assert full.num_interactions == 12
    assert "first-visit" in data.source and "every check-in" in full.source


# ------------------------------------------------------------------ KGRec-music


def test_kgrec_counts_and_file_order(tmp_path):
    frame = readers.read_kgrec_music(fixtures.write_kgrec_music(tmp_path))
    assert list(zip(frame.user, frame.item)) == fixtures.KGREC_ROWS
    assert frame["order"].tolist() == list(range(8))
    assert frame["user"].dtype == np.int64


def test_kgrec_load(tree):
    data = load_dataset("kgrec-music", tree)
    assert data.raw_user_ids.tolist() == [2, 5]  # user 9 (2 rows) dropped, users by raw id
    assert data.raw_item_ids.tolist() == [-1, 100, 200, 300]  # item 400 left with user 9
    assert [s.tolist() for s in data.sequences] == [[2, 1, 3], [3, 1, 2]]


def test_kgrec_string_ids(tmp_path):
    path = tmp_path / "implicit_lf_dataset.csv"
    path.write_text("u1\ts9\t1\nu1\ts2\t1\n")
    frame = readers.read_kgrec_music(path)
    assert frame["item"].tolist() == ["s9", "s2"]


# ------------------------------------------------------------------ MovieLens-1M


@pytest.mark.parametrize("gz", [False, True])
def test_ml1m_ratings_time_sort_with_stable_ties(tmp_path, gz):
    path = fixtures.write_ml1m(tmp_path / "ml-1m", gz=gz)
    assert readers.read_ml1m_ratings(path).shape == (12, 4)
    data = load_dataset("ml-1m", tmp_path, min_len=1)
    seqs = raw_sequences(data)
    assert seqs[1] == [3408, 1193, 914, 661, 73]
    assert seqs[2] == [1357, 3068, 2194, 647, 1537]  # 3068 and 2194 tie: file order
    assert seqs[3] == [1193, 661]  # same second: file order
    assert "ratings.dat" in data.source and "official" in data.source


def test_ml1m_movies_latin1_titles_with_colons(tmp_path):
    movies = readers.read_ml1m_movies(fixtures.write_ml1m_movies(tmp_path))
    titles = dict(zip(movies.item, movies.title))
    assert titles[73] == "Misérables, Les (1995)"
    assert titles[1196].startswith("Star Wars: Episode V")
    assert len(movies) == len(fixtures.ML_MOVIES)


def test_ml1m_sequence_file_and_item_map(tmp_path):
    path = fixtures.write_ml1m_seq(tmp_path)
    frame = readers.read_ml1m_sequences(path, tmp_path / "item_map.tsv")
    assert len(frame) == 12
    user3 = frame[frame.user == 3]
    assert user3["item"].tolist() == [1193, 3068, 914, 661, 2355]
    assert user3["order"].tolist() == [0, 1, 2, 3, 4]
    bare = readers.read_ml1m_sequences(path)
    assert bare[bare.user == 2]["item"].tolist() == [5, 2, 6]


def test_ml1m_sequence_file_rejects_garbage(tmp_path):
    (tmp_path / "bad.txt").write_text("1 2 3\n2 x 4\n")
    with pytest.raises(ValueError, match="bad.txt"):
        readers.read_ml1m_sequences(tmp_path / "bad.txt")


def test_ml1m_prefers_official_then_sequences(tree):
    official = load_dataset("ml-1m", tree)
    assert official.source.startswith("ml-1m/ratings.dat")
    assert official.item_names[1] == "Misérables, Les (1995)"  # sorted MovieID: 73 first
    seq = load_dataset("ml-1m", tree, variant="sequences")
    assert "ml-1m-seq/ml-1m.txt" in seq.source and "no timestamps" in seq.source
    assert raw_sequences(seq)[1] == [1193, 661, 914, 3408]
    assert seq.item_names[int(np.searchsorted(seq.raw_item_ids[1:], 3068)) + 1] == (
        "Verdict, The (1982)"
    )
    with pytest.raises(ValueError, match="unknown variant"):
        load_dataset("ml-1m", tree, variant="nope")


# ------------------------------------------------------------------ LastFM


def test_lastfm_file_order_and_names(tree):
    data = load_dataset("lastfm", tree)
    assert raw_sequences(data) == {2: [51, 52, 53, 54], 3: [52, 60, 70]}  # user 4 dropped
    names = {data.raw_item_ids[i]: n for i, n in data.item_names.items()}
    assert names[60] == "Björk" and names[70] == 'The "Quoted" Band'
    assert "not by time" in data.source


def test_lastfm_tagged_orders_by_first_tag_date(tree):
    data = load_dataset("lastfm-tagged", tree, min_len=1)
    seqs = raw_sequences(data)
    assert seqs[2] == [53, 52, 54, 51]  # 2008-12-25, tie 2009-03-01 in file order, untagged
    assert seqs[3] == [70, 52, 60]
    assert seqs[4] == [51]
    tagged = raw_sequences(load_dataset("lastfm-tagged", tree, min_len=1, tagged_only=True))
    assert tagged == {2: [53, 52, 54], 3: [70]}


def test_lastfm_tag_dates_use_earliest(tmp_path):
    fixtures.write_lastfm(tmp_path)
    first = readers.read_lastfm_tag_dates(tmp_path / "user_taggedartists.dat")
    got = {(u, i): d for u, i, d in first.itertuples(index=False)}
    assert got[(2, 52)] == 20090301 and got[(2, 53)] == 20081225


def test_unknown_options_are_rejected(tree):
    with pytest.raises(TypeError, match="tagged_only"):
        load_dataset("lastfm", tree, tagged_only=True)
    with pytest.raises(ValueError, match="choose one of: ml-1m"):
        load_dataset("movielens", tree)
