"""Datasets: registry, download, raw readers, preprocessing, synthetic data (DESIGN.md §3).

Typical use::

    from causalrec.data import load_dataset
    data = load_dataset("lastfm")            # reads $CAUSALREC_DATA/hetrec2011-lastfm-2k/
    histories, targets = data.split("test")  # leave-one-out
"""

from causalrec.data.download import (
    DatasetNotFoundError,
    download_file,
    ensure_dataset,
    resolve_data_dir,
    safe_extract,
)
from causalrec.data.loading import load_dataset
from causalrec.data.registry import DATASETS, DatasetSpec, available_datasets, get_spec
from causalrec.data.sequence_data import SequenceData
from causalrec.data.synthetic import SyntheticConfig, make_synthetic

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "DatasetSpec",
    "SequenceData",
    "SyntheticConfig",
    "available_datasets",
    "download_file",
    "ensure_dataset",
    "get_spec",
    "load_dataset",
    "make_synthetic",
    "resolve_data_dir",
    "safe_extract",
]
