"""``SequenceData``: per-user chronological item sequences and the leave-one-out split.

Item ids are remapped to ``1..num_items``; id 0 is reserved for padding and never
appears in a sequence (DESIGN.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SPLIT_PARTS = ("train", "valid", "test")


@dataclass
class SequenceData:
    """Interaction sequences of one dataset, one chronological int64 array per user.

    ``raw_user_ids[u]`` is the dataset's own id of user ``u``; ``raw_item_ids[i]`` the
    dataset's own id of remapped item ``i`` (index 0 is a placeholder: -1 or "").
    ``graph`` is set for synthetic data only: ``graph[a, b] > 0`` means item a causes b.
    """

    name: str
    sequences: list[np.ndarray]
    num_items: int
    raw_user_ids: np.ndarray
    raw_item_ids: np.ndarray
    source: str
    item_names: dict[int, str] | None = None
    graph: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(self.raw_user_ids) != len(self.sequences):
            raise ValueError(
                f"{self.name}: raw_user_ids has {len(self.raw_user_ids)} entries "
                f"but there are {len(self.sequences)} sequences"
            )
        if len(self.raw_item_ids) != self.num_items + 1:
            raise ValueError(
                f"{self.name}: raw_item_ids must have num_items + 1 = {self.num_items + 1} "
                f"entries (index 0 = padding), got {len(self.raw_item_ids)}"
            )

    def __repr__(self) -> str:
        return (
            f"SequenceData(name={self.name!r}, users={self.num_users}, items={self.num_items}, "
            f"interactions={self.num_interactions}, source={self.source!r})"
        )

    @property
    def num_users(self) -> int:
        """Number of users (= number of sequences)."""
        return len(self.sequences)

    @property
    def num_interactions(self) -> int:
        """Total number of (user, item) events over all sequences."""
        return int(sum(len(s) for s in self.sequences))

    def lengths(self) -> np.ndarray:
        """Sequence length of every user, shape (num_users,)."""
        return np.fromiter((len(s) for s in self.sequences), dtype=np.int64, count=self.num_users)

    def stats(self) -> dict[str, Any]:
        """Table-3 style statistics plus the length distribution and the source loaded."""
        lengths = self.lengths()
        empty = lengths.size == 0
        users, items, inter = self.num_users, self.num_items, self.num_interactions
        return {
            "name": self.name,
            "users": users,
            "items": items,
            "interactions": inter,
            "mean_len": float(lengths.mean()) if not empty else 0.0,
            "median_len": float(np.median(lengths)) if not empty else 0.0,
            "min_len": int(lengths.min()) if not empty else 0,
            "max_len": int(lengths.max()) if not empty else 0,
            "density": inter / (users * items) if users and items else 0.0,
            "source": self.source,
        }

    def split(self, part: str) -> tuple[list[np.ndarray], np.ndarray]:
        """Leave-one-out split (DESIGN.md §3): ``(histories, targets)`` for one part.

        - ``"train"``: histories ``seq[:-2]``, targets an empty int64 array (the model
          trains on next-item prediction inside the history);
        - ``"valid"``: history ``seq[:-2]``, target ``seq[-2]``;
        - ``"test"``: history ``seq[:-1]`` (it includes the validation item), target ``seq[-1]``.

        Every user needs at least 3 interactions; load with ``min_len >= 3``.
        """
        if part not in SPLIT_PARTS:
            choices = ", ".join(SPLIT_PARTS)
            raise ValueError(f"unknown split part {part!r}; choose one of: {choices}")
        short = int((self.lengths() < 3).sum())
        if short:
            raise ValueError(
                f"{self.name}: {short} users have fewer than 3 interactions, so leave-one-out "
                "has no training item for them; load the dataset with min_len >= 3"
            )
        if part == "train":
            return [s[:-2] for s in self.sequences], np.empty(0, dtype=np.int64)
        if part == "valid":
            histories = [s[:-2] for s in self.sequences]
            targets = np.fromiter((s[-2] for s in self.sequences), np.int64, self.num_users)
            return histories, targets
        histories = [s[:-1] for s in self.sequences]
        targets = np.fromiter((s[-1] for s in self.sequences), np.int64, self.num_users)
        return histories, targets

    def user_items(self, u: int) -> np.ndarray:
        """Sorted unique items of user ``u`` over the whole sequence (to exclude from negatives)."""
        return np.unique(self.sequences[u])

    def item_name(self, item: int) -> str:
        """Title/artist of a remapped item when known, else its raw id as text."""
        if self.item_names and item in self.item_names:
            return self.item_names[item]
        return str(self.raw_item_ids[item])
