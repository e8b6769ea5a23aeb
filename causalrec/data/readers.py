"""Parsers for each raw dataset format (DESIGN.md §3).

Every interaction reader returns a ``pandas.DataFrame`` in file order with at least the
columns ``user``, ``item`` and ``order``: the chronological sort key (a timestamp when the
format has one, else the row's position in the file). Ties in ``order`` are broken by file
order later (``preprocess.build_sequences``), so a stable order is always well defined.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: Order key of LastFM pairs that were never tagged (sorts after every real date).
UNTAGGED = 99_999_999


def _read_bytes(path: Path) -> bytes:
    """Whole file as bytes, transparently gunzipping ``*.gz``."""
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as f:
            return f.read()
    return path.read_bytes()


def _positions(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64)


# --------------------------------------------------------------------------- MovieLens-1M


def read_ml1m_ratings(path: str | Path) -> pd.DataFrame:
    """ML-1M ``ratings.dat`` (``UserID::MovieID::Rating::Timestamp``; ``.gz`` accepted).

    Columns: user, item (MovieID), rating, order (= Unix timestamp).
    """
    raw = _read_bytes(Path(path)).replace(b"::", b"\t")
    frame = pd.read_csv(
        io.BytesIO(raw), sep="\t", header=None, names=["user", "item", "rating", "order"],
        dtype=np.int64,
    )
    return frame


def read_ml1m_movies(path: str | Path) -> pd.DataFrame:
    """ML-1M ``movies.dat`` (latin-1, ``MovieID::Title::Genres``): columns item, title, genres.

    Titles contain ``:`` and commas, so each line is split on ``::`` at most twice.
    """
    rows = []
    for line in Path(path).read_bytes().decode("latin-1").splitlines():
        if line.strip():
            movie, title, genres = line.rstrip("\r").split("::", 2)
            rows.append((int(movie), title, genres))
    return pd.DataFrame(rows, columns=["item", "title", "genres"])


def read_item_map(path: str | Path) -> pd.DataFrame:
    """``ml-1m-seq/item_map.tsv``: header ``seq_item_id<TAB>movie_id``, one row per item."""
    frame = pd.read_csv(path, sep="\t", dtype=np.int64)
    expected = ["seq_item_id", "movie_id"]
    if list(frame.columns) != expected:
        raise ValueError(f"{path}: expected columns {expected}, found {list(frame.columns)}")
    return frame


def read_ml1m_sequences(path: str | Path, item_map_path: str | Path | None = None) -> pd.DataFrame:
    """SASRec-style sequence file: one line per user, ``user item1 item2 ...`` (chronological).

    Columns: user (the file's user id), item (MovieID when ``item_map_path`` is given, else
    the file's item id), order (position inside the user's line). Parsed with numpy in one
    pass (about 1M integers in well under a second).
    """
    data = _read_bytes(Path(path))
    lines = [line for line in data.splitlines() if line.strip()]
    counts = np.fromiter((len(line.split()) for line in lines), dtype=np.int64, count=len(lines))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # numpy warns on unparsable text
        try:
            tokens = np.fromstring(data, dtype=np.int64, sep=" ")
        except (DeprecationWarning, ValueError) as exc:
            raise ValueError(f"{path}: not a file of space-separated integers ({exc})") from None
    if tokens.size != counts.sum() or (counts < 2).any():
        raise ValueError(f"{path}: every line must be 'user item1 item2 ...' with integer ids")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    is_user = np.zeros(tokens.size, dtype=bool)
    is_user[starts] = True
    lengths = counts - 1
    users = np.repeat(tokens[starts], lengths)
    items = tokens[~is_user]
    line_start = np.repeat(np.cumsum(lengths) - lengths, lengths)
    order = np.arange(items.size, dtype=np.int64) - line_start
    frame = pd.DataFrame({"user": users, "item": items, "order": order})
    if item_map_path is not None:
        mapping = read_item_map(item_map_path)
        lookup = np.full(max(int(mapping.seq_item_id.max()), int(items.max())) + 1, -1, np.int64)
        lookup[mapping.seq_item_id.to_numpy()] = mapping.movie_id.to_numpy()
        movie = lookup[items]
        if (movie < 0).any():
            missing = np.unique(items[movie < 0])[:10].tolist()
            raise ValueError(f"{item_map_path}: no MovieID for sequence items {missing}")
        frame["seq_item"] = items
        frame["item"] = movie
    return frame


# --------------------------------------------------------------------------- LastFM (HetRec 2011)


def read_lastfm_user_artists(path: str | Path) -> pd.DataFrame:
    """HetRec ``user_artists.dat`` (tab-separated, header ``userID artistID weight``).

    Columns: user, item (artistID), weight (play count), order (= row position). The file
    has no timestamps and each user's rows are sorted by ascending artist ID, so this
    "sequence" is an ID order, not a time order (DESIGN.md §3).
    """
    frame = pd.read_csv(path, sep="\t", dtype=np.int64)
    frame = frame.rename(columns={"userID": "user", "artistID": "item"})
    frame["order"] = _positions(len(frame))
    return frame[["user", "item", "weight", "order"]]


def read_lastfm_artists(path: str | Path) -> dict[int, str]:
    """HetRec ``artists.dat`` (``id name url pictureURL``, UTF-8): artistID -> name."""
    frame = pd.read_csv(
        path, sep="\t", quoting=csv.QUOTE_NONE, encoding="utf-8", encoding_errors="replace",
        dtype={"id": np.int64, "name": str}, usecols=["id", "name"], keep_default_na=False,
    )
    return dict(zip(frame["id"].tolist(), frame["name"].tolist()))


def read_lastfm_tag_dates(path: str | Path) -> pd.DataFrame:
    """First tag date of each (user, artist) in ``user_taggedartists.dat``.

    Columns: user, item, first_tag (date as the integer ``yyyymmdd``). The ``day month
    year`` columns carry the date at day resolution (SOURCES.md §2); a handful of
    outliers dated 1956-1979 are kept as they are.
    """
    tags = pd.read_csv(path, sep="\t", dtype=np.int64)
    date = tags["year"] * 10_000 + tags["month"] * 100 + tags["day"]
    first = (
        pd.DataFrame({"user": tags["userID"], "item": tags["artistID"], "first_tag": date})
        .groupby(["user", "item"], as_index=False, sort=False)["first_tag"]
        .min()
    )
    return first


def read_lastfm_tagged(
    user_artists_path: str | Path, tagged_path: str | Path, *, tagged_only: bool = False
) -> pd.DataFrame:
    """``user_artists.dat`` pairs ordered per user by the pair's first tag date.

    ``order`` is the first tag date (``yyyymmdd``); pairs with equal dates keep file order.
    Pairs the user never tagged (about 78 % of them) come after the tagged ones in file
    order (``order = UNTAGGED``), or are dropped when ``tagged_only=True``. Tag events on
    artists absent from the user's ``user_artists.dat`` rows are ignored.
    """
    pairs = read_lastfm_user_artists(user_artists_path).drop(columns="order")
    first = read_lastfm_tag_dates(tagged_path)
    frame = pairs.merge(first, on=["user", "item"], how="left", sort=False)
    tagged = frame["first_tag"].notna()
    if tagged_only:
        frame = frame[tagged].reset_index(drop=True)
        tagged = frame["first_tag"].notna()
    frame["order"] = frame["first_tag"].fillna(UNTAGGED).astype(np.int64)
    frame["first_tag"] = frame["first_tag"].fillna(0).astype(np.int64)
    frame["tagged"] = tagged.to_numpy()
    log.info("lastfm-tagged: %d of %d pairs have a tag date", int(tagged.sum()), len(frame))
    return frame


# --------------------------------------------------------------------------- Foursquare TSMC2014

TSMC_COLUMNS = [
    "user", "item", "category_id", "category", "latitude", "longitude", "tz_offset", "utc_time",
]
TSMC_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # e.g. "Tue Apr 03 18:00:09 +0000 2012"


def read_tsmc2014(path: str | Path, *, unique: bool = True) -> pd.DataFrame:
    """Foursquare TSMC2014 check-ins (``dataset_TSMC2014_NYC.txt``: TSV, no header, latin-1).

    Columns: user, item (venueId), category, order (UTC time, seconds since the epoch),
    sorted by (user, UTC time) with file order for ties. With ``unique=True`` (default)
    only each user's first visit to a venue is kept: unique (user, venue) pairs in
    first-visit order (the paper's filtering is unknown; this is our guess, DESIGN.md §3).
    """
    frame = pd.read_csv(
        path, sep="\t", header=None, names=TSMC_COLUMNS, encoding="latin-1",
        quoting=csv.QUOTE_NONE, dtype={"user": np.int64, "item": str, "utc_time": str},
        usecols=["user", "item", "category", "utc_time"], keep_default_na=False,
    )
    stamps = pd.to_datetime(frame["utc_time"], format=TSMC_TIME_FORMAT, utc=True)
    frame["order"] = (stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    frame["order"] = frame["order"].astype(np.int64)
    rank = np.lexsort((_positions(len(frame)), frame["order"].to_numpy(), frame["user"].to_numpy()))
    frame = frame.iloc[rank].reset_index(drop=True)
    if unique:
        frame = frame.drop_duplicates(["user", "item"], keep="first").reset_index(drop=True)
    return frame[["user", "item", "category", "utc_time", "order"]]


# --------------------------------------------------------------------------- KGRec-music


def read_kgrec_music(path: str | Path) -> pd.DataFrame:
    """KGRec-music ``implicit_lf_dataset.csv``: ``user<TAB>item<TAB>1`` per line, no header.

    Columns: user, item, order (= row position; the file has no timestamps). Ids are kept
    as integers when every id is numeric, else as strings.
    """
    frame = pd.read_csv(
        path, sep="\t", header=None, names=["user", "item", "value"], dtype=str,
        keep_default_na=False, quoting=csv.QUOTE_NONE,
    )
    for column in ("user", "item"):
        if frame[column].str.fullmatch(r"\d+").all():
            frame[column] = frame[column].astype(np.int64)
    frame["order"] = _positions(len(frame))
    return frame[["user", "item", "order"]]
