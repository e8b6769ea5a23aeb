"""Dataset registry: name -> paper statistics, official URL, checksums, layout and reader.

Layouts follow the official archives unzipped into the data directory (DESIGN.md §3):
``ml-1m/``, ``hetrec2011-lastfm-2k/`` (that zip has no top folder, so it is unzipped into
a folder of that name), ``dataset_tsmc2014/`` and ``KGRec-dataset/KGRec-music/``.
Checksums of the inner files are those measured in ``shared/data/SOURCES.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from causalrec.data import readers


class PaperStats(NamedTuple):
    """Paper Table 3 row."""

    users: int
    items: int
    interactions: int


@dataclass
class RawInteractions:
    """What a source loader returns: interactions in file order plus provenance."""

    frame: pd.DataFrame  # columns user, item, order (+ extras)
    source: str
    raw_item_names: dict[Any, str] | None = None


Loader = Callable[[Path, dict[str, Any]], RawInteractions]


@dataclass(frozen=True)
class Source:
    """One way of obtaining a dataset: required files (relative to the data dir) + loader.

    A required file ``X`` is also satisfied by ``X.gz``.
    """

    key: str
    files: tuple[str, ...]
    load: Loader
    optional: tuple[str, ...] = ()
    partial: bool = False

    @staticmethod
    def find(data_dir: Path, rel: str) -> Path | None:
        """``data_dir/rel`` or its ``.gz`` twin, whichever exists."""
        for candidate in (data_dir / rel, data_dir / f"{rel}.gz"):
            if candidate.is_file():
                return candidate
        return None

    def has_file(self, data_dir: Path, rel: str) -> bool:
        return self.find(data_dir, rel) is not None

    def present(self, data_dir: Path) -> bool:
        """All required files exist."""
        return all(self.has_file(data_dir, rel) for rel in self.files)

    def paths(self, data_dir: Path) -> list[Path]:
        """Existing required and optional files: what the cache key is computed from."""
        found = (self.find(data_dir, rel) for rel in self.files + self.optional)
        return [p for p in found if p is not None]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to find, fetch, check and read one dataset."""

    name: str
    description: str
    paper: PaperStats | None
    url: str | None
    folder: str  # where the raw files live inside the data dir
    sources: tuple[Source, ...]  # in order of preference; the first is the official one
    extract_to: str = "."  # where the official zip is unzipped, relative to the data dir
    archive_sha256: str | None = None
    sha256: Mapping[str, str | None] = field(default_factory=dict)  # relative path -> hash
    git_blobs: Mapping[str, str] = field(default_factory=dict)  # canonical `git hash-object`
    options: Mapping[str, Any] = field(default_factory=dict)  # reader options and defaults
    citation: str = ""
    terms: str = ""

    @property
    def files(self) -> tuple[str, ...]:
        """Required files of the official source, relative to the data dir."""
        return self.sources[0].files if self.sources else ()

    def sources_for(self, variant: str = "auto") -> tuple[Source, ...]:
        """All sources in preference order, or only the one named ``variant``."""
        if variant == "auto":
            return self.sources
        chosen = tuple(s for s in self.sources if s.key == variant)
        if not chosen:
            keys = ", ".join(["auto"] + [s.key for s in self.sources])
            raise ValueError(f"{self.name}: unknown variant {variant!r}; choose one of: {keys}")
        return chosen


# --------------------------------------------------------------------------- loaders

ML = "ml-1m"
ML_SEQ = "ml-1m-seq"
ML_PARTIAL = "ml-1m/partial-first-487650-ratings/ratings.dat.gz"
LFM = "hetrec2011-lastfm-2k"
TSMC = "dataset_tsmc2014"
KGREC = "KGRec-dataset/KGRec-music"


def _movie_titles(data_dir: Path) -> dict[Any, str] | None:
    path = Source.find(data_dir, f"{ML}/movies.dat")
    if path is None:
        return None
    movies = readers.read_ml1m_movies(path)
    return dict(zip(movies["item"].tolist(), movies["title"].tolist()))


def _artist_names(data_dir: Path) -> dict[Any, str] | None:
    path = Source.find(data_dir, f"{LFM}/artists.dat")
    return readers.read_lastfm_artists(path) if path else None


def _load_ml1m_ratings(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    path = Source.find(data_dir, f"{ML}/ratings.dat")
    frame = readers.read_ml1m_ratings(path)
    rel = path.relative_to(data_dir).as_posix()
    return RawInteractions(frame, f"{rel} (official full ratings, ordered by timestamp)",
                           _movie_titles(data_dir))


def _load_ml1m_sequences(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    frame = readers.read_ml1m_sequences(
        Source.find(data_dir, f"{ML_SEQ}/ml-1m.txt"),
        Source.find(data_dir, f"{ML_SEQ}/item_map.tsv"),
    )
    source = (f"{ML_SEQ}/ml-1m.txt (full 5-core sequences, no timestamps; items mapped to "
              "MovieIDs via item_map.tsv; user ids are the file's own)")
    return RawInteractions(frame, source, _movie_titles(data_dir))


def _load_ml1m_partial(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    frame = readers.read_ml1m_ratings(Source.find(data_dir, ML_PARTIAL))
    source = (f"PARTIAL ratings {ML_PARTIAL} (a partial copy: first 487,650 of 1,000,209 "
              "ratings, users 1-2999; not the full ML-1M)")
    return RawInteractions(frame, source, _movie_titles(data_dir))


def _load_lastfm(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    frame = readers.read_lastfm_user_artists(Source.find(data_dir, f"{LFM}/user_artists.dat"))
    source = (f"{LFM}/user_artists.dat (file order: each user's artists sorted by artist ID, "
              "not by time)")
    return RawInteractions(frame, source, _artist_names(data_dir))


def _load_lastfm_tagged(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    tagged_only = bool(options.get("tagged_only", False))
    frame = readers.read_lastfm_tagged(
        Source.find(data_dir, f"{LFM}/user_artists.dat"),
        Source.find(data_dir, f"{LFM}/user_taggedartists.dat"),
        tagged_only=tagged_only,
    )
    rest = "untagged pairs dropped" if tagged_only else "untagged pairs after, in file order"
    source = (f"{LFM}/user_artists.dat ordered by first tag date from user_taggedartists.dat "
              f"({rest})")
    return RawInteractions(frame, source, _artist_names(data_dir))


def _load_foursquare(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    unique = bool(options.get("unique", True))
    frame = readers.read_tsmc2014(Source.find(data_dir, f"{TSMC}/dataset_TSMC2014_NYC.txt"),
                                  unique=unique)
    kept = "unique (user, venue) pairs in first-visit order" if unique else "every check-in"
    return RawInteractions(frame, f"{TSMC}/dataset_TSMC2014_NYC.txt ({kept}, by UTC time)")


def _load_kgrec(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    frame = readers.read_kgrec_music(Source.find(data_dir, f"{KGREC}/implicit_lf_dataset.csv"))
    return RawInteractions(frame, f"{KGREC}/implicit_lf_dataset.csv (file order, no timestamps)")


def _no_files(data_dir: Path, options: dict[str, Any]) -> RawInteractions:
    raise RuntimeError("synthetic data is generated by make_synthetic, not read from files")


# --------------------------------------------------------------------------- the registry

ML_TERMS = ("research use only; do not redistribute; cite Harper & Konstan (2015)")

DATASETS: dict[str, DatasetSpec] = {
    "ml-1m": DatasetSpec(
        name="ml-1m",
        description="MovieLens 1M ratings; every rating is an interaction, ordered by time",
        paper=PaperStats(6040, 3952, 1_000_209),
        url="https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        folder=ML,
        sources=(
            Source("ratings", (f"{ML}/ratings.dat",), _load_ml1m_ratings, (f"{ML}/movies.dat",)),
            Source("sequences", (f"{ML_SEQ}/ml-1m.txt", f"{ML_SEQ}/item_map.tsv"),
                   _load_ml1m_sequences, (f"{ML}/movies.dat",)),
            Source("partial", (ML_PARTIAL,), _load_ml1m_partial, (f"{ML}/movies.dat",),
                   partial=True),
        ),
        sha256={
            f"{ML}/ratings.dat": None,
            f"{ML}/movies.dat": "0140fc2356357c1a851d0f52e893a1e4d3696df632c4141cea8d5bc3d621f0b9",
            f"{ML}/users.dat": "1dc3a95300cb19f7c10e027daf29b8cdf1d908dab65b5edfb45950aa389a10a3",
            f"{ML}/README": "2d5ddce86ccbd247207456165827b4b9ddf27282bca93807d4c763e28414f133",
            ML_PARTIAL: "2fedcf5405373a49df4041e3d3fe1e8db9eacf2c77c209ae1f686ea06b7a16d9",
            f"{ML_SEQ}/ml-1m.txt":
                "d039cc9e8898d5a521aa908ab0c30c74df987fe6ef2e2d60dbd147ab49246df0",
            f"{ML_SEQ}/item_map.tsv":
                "f63e60edcdce1bd04bddaa341175fda2007fc892db1fed730cbe905e6864e998",
        },
        git_blobs={f"{ML}/ratings.dat": "77a7c4b150f588c23bb9e1f068aa996c0b413695"},
        options={"variant": "auto"},
        citation="F. M. Harper and J. A. Konstan. The MovieLens Datasets. ACM TiiS 5(4), 2015.",
        terms=ML_TERMS,
    ),
    "lastfm": DatasetSpec(
        name="lastfm",
        description="HetRec 2011 Last.fm: user-artist pairs in file order (artist-ID order)",
        paper=PaperStats(1892, 17632, 92_834),
        url="https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip",
        folder=LFM,
        extract_to=LFM,
        sources=(Source("default", (f"{LFM}/user_artists.dat",), _load_lastfm,
                        (f"{LFM}/artists.dat",)),),
        sha256={
            f"{LFM}/user_artists.dat":
                "001400dc3c7d2667fca6e4ea6dc6acc31a9dd28ad5cd0f74cea988c019934d3b",
            f"{LFM}/artists.dat":
                "c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648",
            f"{LFM}/tags.dat": "e95175f259be4c0c47644ae23d66131cd6d5767142a1405000e79f5584691d70",
            f"{LFM}/user_friends.dat":
                "9a3a8f7fa5f5ec832335e5b58ed69a4cf27c6f6f6afcde62134810eea46445a7",
            f"{LFM}/user_taggedartists.dat":
                "d31fe938fcfeed6f0059f37a36b156f63674d073fc2553e5cc9dc1595e365bc7",
            f"{LFM}/readme.txt": None,
        },
        options={"variant": "auto"},
        citation="I. Cantador, P. Brusilovsky, T. Kuflik. HetRec 2011 workshop, RecSys 2011.",
        terms="non-commercial use",
    ),
    "foursquare": DatasetSpec(
        name="foursquare",
        description="Foursquare NYC check-ins (TSMC2014), unique venues in first-visit order",
        paper=PaperStats(1083, 38333, 91_024),
        url="http://www-public.imtbs-tsp.eu/~zhang_da/pub/dataset_tsmc2014.zip",
        folder=TSMC,
        sources=(Source("default", (f"{TSMC}/dataset_TSMC2014_NYC.txt",), _load_foursquare),),
        sha256={f"{TSMC}/dataset_TSMC2014_NYC.txt": None},
        git_blobs={f"{TSMC}/dataset_TSMC2014_NYC.txt": "d7b3401fa8cfb39f197262dc8a401df63b82a37f"},
        options={"variant": "auto", "unique": True},
        citation="D. Yang, D. Zhang, V. W. Zheng, Z. Yu. IEEE TSMC: Systems 45(1), 2015.",
        terms="cite the paper when publishing material based on the dataset",
    ),
    "kgrec-music": DatasetSpec(
        name="kgrec-music",
        description="KGRec-music implicit feedback (user, song) in file order",
        paper=PaperStats(5199, 8640, 751_531),
        url="https://www.upf.edu/documents/8192218/0/KGRec-dataset.zip",
        folder=KGREC,
        sources=(Source("default", (f"{KGREC}/implicit_lf_dataset.csv",), _load_kgrec),),
        sha256={f"{KGREC}/implicit_lf_dataset.csv": None},
        git_blobs={f"{KGREC}/implicit_lf_dataset.csv": "4ac65275af16f8eb0285bae3283aa20ad62c2a69"},
        options={"variant": "auto"},
        citation="S. Oramas et al. Sound and Music Recommendation with Knowledge Graphs. "
                 "ACM TIST 8(2), 2016.",
        terms="unknown (could not be checked offline)",
    ),
    "synthetic": DatasetSpec(
        name="synthetic",
        description="sequences generated from a known item-level causal DAG (no download)",
        paper=None,
        url=None,
        folder="",
        sources=(Source("default", (), _no_files),),
        options={},  # SyntheticConfig fields; checked by make_synthetic
    ),
}

DATASETS["lastfm-tagged"] = DatasetSpec(
    name="lastfm-tagged",
    description="HetRec 2011 Last.fm pairs ordered per user by first tag date",
    paper=None,
    url=DATASETS["lastfm"].url,
    folder=LFM,
    extract_to=LFM,
    sources=(Source("default", (f"{LFM}/user_artists.dat", f"{LFM}/user_taggedartists.dat"),
                    _load_lastfm_tagged, (f"{LFM}/artists.dat",)),),
    sha256=DATASETS["lastfm"].sha256,
    options={"variant": "auto", "tagged_only": False},
    citation=DATASETS["lastfm"].citation,
    terms=DATASETS["lastfm"].terms,
)
# paper Table 3 order, our additions after their base dataset
DATASETS = {k: DATASETS[k] for k in
            ("ml-1m", "lastfm", "lastfm-tagged", "foursquare", "kgrec-music", "synthetic")}


def available_datasets() -> list[str]:
    """Names accepted by ``load_dataset``, in the paper's Table 3 order."""
    return list(DATASETS)


def get_spec(name: str) -> DatasetSpec:
    """The registry entry of ``name``; ``ValueError`` listing the valid names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of: {', '.join(available_datasets())}"
        ) from None
