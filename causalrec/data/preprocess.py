"""Interactions -> chronological per-user sequences, and the on-disk cache of the result.

DESIGN.md §3: group by user, stable sort by the order key (file order for ties), drop
users with fewer than ``min_len`` interactions, remap item ids to ``1..N`` (0 = padding).

Id conventions (chosen so the same raw item gets the same id whatever the user order):

- items are numbered by **sorted raw id** among the items that survive the user filter,
  so ``raw_item_ids`` is increasing from index 1 on;
- users are kept in **sorted raw id** order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from causalrec.data.sequence_data import SequenceData

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # bump when the processed format or the preprocessing rules change
CACHE_ENV = "CAUSALREC_CACHE"


def _id_array(values: np.ndarray) -> np.ndarray:
    """Raw ids as int64 when integral, else as a fixed-width unicode array (no pickling)."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    return values.astype(str)


def _with_placeholder(ids: np.ndarray) -> np.ndarray:
    """Prepend the index-0 padding placeholder: -1 for integer ids, "" for strings."""
    pad = np.array([-1] if ids.dtype.kind == "i" else [""], dtype=ids.dtype)
    return np.concatenate([pad, ids])


def build_sequences(
    frame: pd.DataFrame,
    *,
    name: str,
    source: str,
    min_len: int = 3,
    raw_item_names: Mapping[Any, str] | None = None,
) -> SequenceData:
    """Group ``frame`` (columns user, item, order; rows in file order) into ``SequenceData``.

    Within a user, rows are sorted by ``order`` with ties kept in file order; users with
    fewer than ``min_len`` rows are dropped before items are remapped, so ``num_items``
    counts only items that still occur.
    """
    missing = {"user", "item", "order"} - set(frame.columns)
    if missing:
        raise ValueError(f"{name}: interaction frame lacks columns {sorted(missing)}")
    if min_len < 1:
        raise ValueError(f"min_len must be >= 1, got {min_len}")
    user_codes, user_ids = pd.factorize(frame["user"], sort=True)
    order = frame["order"].to_numpy()
    rank = np.lexsort((np.arange(len(frame)), order, user_codes))
    user_codes = user_codes[rank]
    items_raw = frame["item"].to_numpy()[rank]
    counts = np.bincount(user_codes, minlength=len(user_ids))
    keep_user = counts >= min_len
    dropped = int((~keep_user).sum())
    if dropped:
        log.info("%s: dropped %d users with fewer than %d interactions", name, dropped, min_len)
    row_kept = keep_user[user_codes]
    items_raw = items_raw[row_kept]
    item_codes, item_ids = pd.factorize(items_raw, sort=True)
    item_codes = item_codes.astype(np.int64) + 1
    lengths = counts[keep_user]
    sequences = np.split(item_codes, np.cumsum(lengths)[:-1]) if lengths.size else []
    raw_item_ids = _with_placeholder(_id_array(np.asarray(item_ids)))
    item_names = None
    if raw_item_names:
        item_names = {
            i: raw_item_names[raw]
            for i, raw in enumerate(raw_item_ids[1:].tolist(), start=1)
            if raw in raw_item_names
        }
    return SequenceData(
        name=name,
        sequences=list(sequences),
        num_items=len(item_ids),
        raw_user_ids=_id_array(np.asarray(user_ids))[keep_user],
        raw_item_ids=raw_item_ids,
        source=source,
        item_names=item_names,
    )


# --------------------------------------------------------------------------- cache


def resolve_cache_dir(explicit: str | Path | None = None) -> Path:
    """Where processed arrays live: explicit > ``$CAUSALREC_CACHE/processed`` >
    ``~/.cache/causalrec/processed``. Never the data directory, which may be read-only."""
    if explicit is not None:
        return Path(explicit).expanduser()
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "causalrec"
    return base / "processed"


def cache_key(name: str, files: Sequence[Path], options: Mapping[str, Any]) -> str:
    """Hash of the raw files' (resolved path, size, mtime) and of the loading options."""
    entries = []
    for path in files:
        stat = Path(path).stat()
        entries.append([str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns])
    payload = json.dumps(
        {"version": CACHE_VERSION, "name": name, "files": entries, "options": dict(options)},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def cache_path(name: str, key: str, cache_dir: str | Path | None = None) -> Path:
    """File of one processed dataset in the cache."""
    return resolve_cache_dir(cache_dir) / f"{name}-{key}.npz"


def save_cached(data: SequenceData, path: Path) -> bool:
    """Write ``data`` atomically as npz; on any OS error log a warning and return False."""
    lengths = data.lengths()
    names = data.item_names or {}
    arrays = {
        "items": np.concatenate(data.sequences) if data.sequences else np.empty(0, np.int64),
        "lengths": lengths,
        "num_items": np.int64(data.num_items),
        "raw_user_ids": data.raw_user_ids,
        "raw_item_ids": data.raw_item_ids,
        "source": np.array(data.source),
        "name_ids": np.array(list(names.keys()), dtype=np.int64),
        "names": np.array(list(names.values()), dtype=str),
        "has_names": np.bool_(data.item_names is not None),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.warning("could not write the processed-data cache %s (%s); continuing without it",
                    path, exc)
        return False
    log.debug("cached %s at %s", data.name, path)
    return True


def load_cached(name: str, path: Path) -> SequenceData | None:
    """Read a cache file written by ``save_cached``; None when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            lengths = z["lengths"]
            items = z["items"]
            sequences = np.split(items, np.cumsum(lengths)[:-1]) if lengths.size else []
            names = None
            if bool(z["has_names"]):
                names = dict(zip(z["name_ids"].tolist(), z["names"].tolist()))
            return SequenceData(
                name=name,
                sequences=list(sequences),
                num_items=int(z["num_items"]),
                raw_user_ids=z["raw_user_ids"],
                raw_item_ids=z["raw_item_ids"],
                source=str(z["source"]),
                item_names=names,
            )
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable cache file %s (%s)", path, exc)
        return None
