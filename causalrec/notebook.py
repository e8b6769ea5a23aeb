"""Small helpers the chapter notebooks share (quick mode, figure style, local datasets)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from causalrec.data import DatasetNotFoundError, SequenceData, available_datasets, load_dataset


def quick_mode() -> bool:
    """True when ``CAUSALREC_QUICK=1``: small data and few epochs (CI, laptops)."""
    return os.environ.get("CAUSALREC_QUICK", "0").strip().lower() in ("1", "true", "yes")


def setup_figures() -> None:
    """White figures with readable defaults (they stay legible in a dark theme)."""
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
        "figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3, "font.size": 10,
        "axes.spines.top": False, "axes.spines.right": False,
    })
    logging.getLogger("causalrec").setLevel(logging.WARNING)


@dataclass
class LocalDataset:
    """A dataset as found on this machine: loaded, or missing with the way to get it."""

    name: str
    data: SequenceData | None
    missing: str | None = None

    @property
    def available(self) -> bool:
        return self.data is not None


def local_datasets(min_len: int = 1, include_synthetic: bool = True) -> list[LocalDataset]:
    """Every registered dataset, loaded when its files are present (never downloads)."""
    found = []
    for name in available_datasets():
        if name == "synthetic" and not include_synthetic:
            continue
        try:
            found.append(LocalDataset(name, load_dataset(name, min_len=min_len)))
        except DatasetNotFoundError as err:
            found.append(LocalDataset(name, None, str(err)))
    return found


def first_available(names: list[str], min_len: int = 3) -> SequenceData:
    """Load the first dataset of ``names`` whose files are present; synthetic as the last resort."""
    for name in names:
        try:
            return load_dataset(name, min_len=min_len)
        except DatasetNotFoundError:
            continue
    return load_dataset("synthetic", min_len=min_len)


def subsample_users(data: SequenceData, num_users: int | None, seed: int = 0) -> SequenceData:
    """A random subset of users with the item ids unchanged (QUICK chapters train on it)."""
    import dataclasses

    import numpy as np

    if num_users is None or num_users >= data.num_users:
        return data
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(data.num_users, size=num_users, replace=False))
    return dataclasses.replace(
        data,
        sequences=[data.sequences[u] for u in keep],
        raw_user_ids=data.raw_user_ids[keep],
        source=f"{data.source} [random {num_users} of {data.num_users} users]",
    )


_FA_ICONS = {  # glyphs every system font has
    "fa-minus": "−", "fa-plus": "+", "fa-fast-backward": "⇤", "fa-step-backward": "←",
    "fa-play": "▶", "fa-pause": "||", "fa-step-forward": "→", "fa-fast-forward": "⇥",
}


def offline_jshtml(anim, **kwargs) -> str:
    """``anim.to_jshtml()`` without its external Font Awesome stylesheet.

    Matplotlib's frame player links Font Awesome 4 from a CDN for its button icons; a
    book page must not reach outside the machine, so the link is dropped and the icons
    become plain Unicode symbols.
    """
    import re

    html = anim.to_jshtml(**kwargs)
    html = re.sub(r'<link rel="stylesheet"[^>]*font-awesome[^>]*>', "", html)
    html = html.replace('<i class="fa fa-play fa-flip-horizontal"></i>', "◀")
    for icon, symbol in _FA_ICONS.items():
        html = html.replace(f'<i class="fa {icon}"></i>', symbol)
    return html
