"""Tiny fixture files in the exact raw formats, for tests and quick notebook demos.

Each ``write_*`` function writes into the folder it is given and returns the main file.
The contents are invented (no real data is redistributed) but the formats are byte-level
faithful: ``::`` separators and latin-1 for ML-1M, tab-separated CRLF files with headers
for HetRec Last.fm, latin-1 TSV with UTC time strings for Foursquare TSMC2014, and
``user<TAB>item<TAB>1`` for KGRec-music. ``write_all`` lays every dataset out as the
registry expects, so ``load_dataset(name, data_dir)`` works on it.
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Mapping
from pathlib import Path

# ------------------------------------------------------------------ Foursquare TSMC2014 (NYC)

#: short names -> venue ids (24 hex digits, as in the real file)
VENUES = {
    "a": "49bbd6c0f964a520f4531fe3",
    "b": "4a43c0aef964a520c6a61fe3",
    "c": "4c5cc7b485a1e21e00d35711",
    "d": "4bc7086715a7ef3bef9878da",
    "e": "4cf2c5321d18a143951b5cec",
    "f": "4d4b7105d754a06374d81259",
}
_CATEGORY = {"a": "Arts & Crafts Store", "b": "Bridge", "c": "Café", "d": "Home (private)",
             "e": "Subway", "f": "Bar"}
_CATEGORY_ID = "4bf58dd8d48988d127951735"

#: (user, venue, UTC time) in file order: times unsorted, venues repeated, one tie (user 2)
TSMC_ROWS = [
    (1, "b", "Tue Apr 03 18:05:00 +0000 2012"),
    (1, "a", "Tue Apr 03 18:00:09 +0000 2012"),
    (2, "c", "Thu Apr 05 12:00:00 +0000 2012"),
    (1, "b", "Wed Apr 04 09:00:00 +0000 2012"),
    (1, "c", "Mon Apr 02 23:59:59 +0000 2012"),
    (2, "d", "Thu Apr 05 12:00:00 +0000 2012"),
    (3, "a", "Sun Jan 06 10:00:00 +0000 2013"),
    (1, "a", "Sat Apr 07 10:00:00 +0000 2012"),
    (2, "e", "Tue Apr 03 08:00:00 +0000 2012"),
    (3, "f", "Sat Dec 29 22:00:00 +0000 2012"),
    (2, "d", "Mon Apr 02 07:00:00 +0000 2012"),
    (3, "a", "Mon Apr 09 10:00:00 +0000 2012"),
]


def write_tsmc2014_nyc(folder: str | Path) -> Path:
    """``dataset_TSMC2014_NYC.txt`` with the check-ins of ``TSMC_ROWS`` (8 columns, latin-1).

    By UTC time, first visits only: user 1 -> c, a, b; user 2 -> d, e, c (the c/d tie at
    Apr 05 12:00 keeps file order, but d was visited earlier on Apr 02); user 3 -> a, f.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for user, venue, when in TSMC_ROWS:
        fields = [str(user), VENUES[venue], _CATEGORY_ID, _CATEGORY[venue],
                  "40.719810375488535", "-74.00258103213994", "-240", when]
        lines.append("\t".join(fields))
    path = folder / "dataset_TSMC2014_NYC.txt"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


# ------------------------------------------------------------------ KGRec-music

#: (user, item) in file order; user 9 has 2 items, item 400 occurs only for user 9
KGREC_ROWS = [(5, 300), (5, 100), (2, 200), (5, 200), (2, 100), (9, 100), (2, 300), (9, 400)]


def write_kgrec_music(folder: str | Path) -> Path:
    """``implicit_lf_dataset.csv``: ``user<TAB>item<TAB>1`` lines of ``KGREC_ROWS``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "implicit_lf_dataset.csv"
    path.write_text("".join(f"{u}\t{i}\t1\n" for u, i in KGREC_ROWS))
    return path


# ------------------------------------------------------------------ MovieLens-1M

#: (user, movie, rating, timestamp) in file order; ties: (2, 3068)/(2, 2194), (3, 1193)/(3, 661)
ML_RATINGS = [
    (1, 1193, 5, 978300760), (1, 661, 3, 978302109), (1, 914, 3, 978301968),
    (1, 3408, 4, 978300275), (1, 73, 5, 978824291),
    (2, 1357, 5, 978298709), (2, 3068, 4, 978299000), (2, 1537, 4, 978299620),
    (2, 647, 3, 978299351), (2, 2194, 4, 978299000),
    (3, 1193, 4, 978297867), (3, 661, 5, 978297867),
]
ML_MOVIES = {
    73: ("Misérables, Les (1995)", "Drama|Musical"),
    647: ("Courage Under Fire (1996)", "Drama|War"),
    661: ("James and the Giant Peach (1996)", "Animation|Children's|Musical"),
    914: ("My Fair Lady (1964)", "Musical|Romance"),
    1193: ("One Flew Over the Cuckoo's Nest (1975)", "Drama"),
    1196: ("Star Wars: Episode V - The Empire Strikes Back (1980)", "Action|Sci-Fi|War"),
    1357: ("Shine (1996)", "Drama|Romance"),
    1537: ("Shall We Dance? (Shall We Dansu?) (1996)", "Comedy"),
    2194: ("Untouchables, The (1987)", "Action|Crime|Drama"),
    2355: ("Bug's Life, A (1998)", "Animation|Children's|Comedy"),
    3068: ("Verdict, The (1982)", "Drama"),
    3408: ("Erin Brockovich (2000)", "Drama"),
}


def write_ml1m_movies(folder: str | Path) -> Path:
    """``movies.dat`` (latin-1, ``MovieID::Title::Genres``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "movies.dat"
    text = "".join(f"{m}::{t}::{g}\n" for m, (t, g) in sorted(ML_MOVIES.items()))
    path.write_bytes(text.encode("latin-1"))
    return path


def write_ml1m(folder: str | Path, *, gz: bool = False, rows: list | None = None) -> Path:
    """``ratings.dat`` (or ``ratings.dat.gz``) from ``ML_RATINGS`` plus ``movies.dat``.

    By time, ties in file order: user 1 -> 3408, 1193, 914, 661, 73;
    user 2 -> 1357, 3068, 2194, 647, 1537; user 3 -> 1193, 661.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_ml1m_movies(folder)
    data = "".join(f"{u}::{m}::{r}::{t}\n" for u, m, r, t in (rows or ML_RATINGS)).encode()
    if gz:
        path = folder / "ratings.dat.gz"
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path = folder / "ratings.dat"
        path.write_bytes(data)
    return path


#: SASRec-style lines ``user item...`` and the item map (seq item -> MovieID)
ML_SEQ_LINES = ["1 1 2 3 4", "2 5 2 6 ", "3 1 7 3 2 5"]
ML_SEQ_ITEM_MAP = {1: 1193, 2: 661, 3: 914, 4: 3408, 5: 2355, 6: 1357, 7: 3068}


def write_ml1m_seq(folder: str | Path) -> Path:
    """``ml-1m.txt`` (one user per line, one trailing space on purpose) + ``item_map.tsv``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "item_map.tsv").write_text(
        "seq_item_id\tmovie_id\n" + "".join(f"{s}\t{m}\n" for s, m in ML_SEQ_ITEM_MAP.items())
    )
    path = folder / "ml-1m.txt"
    path.write_text("\n".join(ML_SEQ_LINES) + "\n")
    return path


# ------------------------------------------------------------------ LastFM (HetRec 2011)

#: (user, artist, weight), each user's rows sorted by artist ID as in the real file
LASTFM_PAIRS = [(2, 51, 13883), (2, 52, 11690), (2, 53, 11351), (2, 54, 10300),
                (3, 52, 500), (3, 60, 300), (3, 70, 100), (4, 51, 10)]
LASTFM_ARTISTS = {51: "Duran Duran", 52: "Morcheeba", 53: "Air", 54: "Hooverphonic",
                  60: "Björk", 70: 'The "Quoted" Band'}
#: (user, artist, tag, day, month, year); (2, 99) is a tag on a pair absent from user_artists
LASTFM_TAGS = [(2, 52, 13, 1, 5, 2009), (2, 54, 15, 1, 3, 2009), (2, 52, 18, 1, 3, 2009),
               (2, 53, 13, 25, 12, 2008), (2, 99, 13, 1, 1, 2005), (3, 70, 7, 1, 1, 2010)]


def write_lastfm(folder: str | Path) -> Path:
    """``user_artists.dat``, ``artists.dat`` and ``user_taggedartists.dat`` (CRLF except
    artists.dat, as in the original zip).

    By first tag date: user 2 -> 53 (2008-12-25), 52 and 54 (both 2009-03-01, file order),
    then untagged 51; user 3 -> 70, then untagged 52, 60; user 4 -> 51.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def crlf(header: str, rows: list[tuple]) -> bytes:
        lines = [header] + ["\t".join(map(str, row)) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")

    path = folder / "user_artists.dat"
    path.write_bytes(crlf("userID\tartistID\tweight", LASTFM_PAIRS))
    (folder / "user_taggedartists.dat").write_bytes(
        crlf("userID\tartistID\ttagID\tday\tmonth\tyear", LASTFM_TAGS)
    )
    artists = ["id\tname\turl\tpictureURL"] + [
        f"{a}\t{n}\thttp://www.last.fm/music/{a}\thttp://userserve-ak.last.fm/serve/252/{a}.jpg"
        for a, n in LASTFM_ARTISTS.items()
    ]
    (folder / "artists.dat").write_bytes(("\n".join(artists) + "\n").encode("utf-8"))
    return path


# ------------------------------------------------------------------ archives and layouts


def write_zip(path: str | Path, members: Mapping[str, bytes | str]) -> Path:
    """A zip holding ``members`` (member name -> content), names written verbatim
    (so ``../evil`` can be used to test ``safe_extract``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2011, 1, 1, 0, 0, 0)), content)
    return path


def write_lastfm_zip(path: str | Path, scratch: str | Path) -> Path:
    """A zip laid out like ``hetrec2011-lastfm-2k.zip`` (files at the archive root)."""
    write_lastfm(scratch)
    names = ["user_artists.dat", "artists.dat", "user_taggedartists.dat"]
    return write_zip(path, {n: (Path(scratch) / n).read_bytes() for n in names})


def write_all(data_dir: str | Path) -> Path:
    """Every dataset's fixture in the registry layout under ``data_dir`` (official ML-1M
    ``ratings.dat``, ML-1M sequences, LastFM, Foursquare, KGRec-music)."""
    data_dir = Path(data_dir)
    write_ml1m(data_dir / "ml-1m")
    write_ml1m_seq(data_dir / "ml-1m-seq")
    write_lastfm(data_dir / "hetrec2011-lastfm-2k")
    write_tsmc2014_nyc(data_dir / "dataset_tsmc2014")
    write_kgrec_music(data_dir / "KGRec-dataset" / "KGRec-music")
    return data_dir
