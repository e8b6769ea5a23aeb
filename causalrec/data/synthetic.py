"""Sequences generated from a known item-level causal graph (DESIGN.md §3, ``synthetic``).

A random DAG over items is drawn along a random topological order (so it is acyclic by
construction). Each user's sequence then starts with a popular item; at every later step,
with probability ``causal_strength`` the next item is a child of one of the last
``window`` items (weighted by edge weight and recency), otherwise it is drawn from a
Zipf-like popularity distribution. Items do not repeat within a user, like ML-1M.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
from dataclasses import dataclass

import numpy as np

from causalrec.data.sequence_data import SequenceData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyntheticConfig:
    """Knobs of the generator; the defaults give a clear but learnable sequential signal."""

    num_users: int = 1000
    num_items: int = 400  # > 100 + longest sequence, so sampled-100 negatives never repeat
    seq_len: tuple[int, int] = (10, 40)  # inclusive range of sequence lengths
    edges_per_item: float = 3.0  # mean out-degree of the item DAG
    causal_strength: float = 0.7  # p: chance that the next item is caused by a recent item
    window: int = 3  # how many of the most recent items may cause the next one
    recency_decay: float = 0.5  # weight factor per step back inside the window
    popularity_skew: float = 1.0  # Zipf exponent of the non-causal item draws (0 = uniform)
    weight_range: tuple[float, float] = (0.5, 2.0)  # edge weights, drawn uniformly
    seed: int = 0

    def __post_init__(self) -> None:
        lo, hi = self.seq_len
        checks = [
            (self.num_users >= 1, "num_users must be >= 1"),
            (self.num_items >= 2, "num_items must be >= 2"),
            (3 <= lo <= hi, "seq_len must be (lo, hi) with 3 <= lo <= hi"),
            (hi <= self.num_items, "seq_len upper bound must be <= num_items (no repeats)"),
            (self.edges_per_item >= 0, "edges_per_item must be >= 0"),
            (0.0 <= self.causal_strength <= 1.0, "causal_strength must be in [0, 1]"),
            (self.window >= 1, "window must be >= 1"),
            (0.0 < self.recency_decay <= 1.0, "recency_decay must be in (0, 1]"),
            (self.popularity_skew >= 0, "popularity_skew must be >= 0"),
            (0 < self.weight_range[0] <= self.weight_range[1], "weight_range must be 0 < lo <= hi"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"SyntheticConfig: {message} (got {self})")


def random_dag(config: SyntheticConfig, rng: np.random.Generator) -> np.ndarray:
    """Weighted adjacency (num_items+1, num_items+1); ``graph[a, b] > 0``: a causes b.

    Row/column 0 (padding) stay empty. Edges only go forward along a random permutation
    of the items, so the graph is acyclic.
    """
    n = config.num_items
    order = rng.permutation(n) + 1  # a topological order of items 1..n
    graph = np.zeros((n + 1, n + 1), dtype=np.float64)
    lo, hi = config.weight_range
    for k, parent in enumerate(order[:-1]):
        later = order[k + 1 :]
        count = min(len(later), max(1, int(rng.poisson(config.edges_per_item))))
        if config.edges_per_item == 0:
            count = 0
        children = rng.choice(later, size=count, replace=False)
        graph[parent, children] = rng.uniform(lo, hi, size=count)
    return graph


def zipf_popularity(config: SyntheticConfig, rng: np.random.Generator) -> np.ndarray:
    """Probabilities (num_items+1,) with p[0] = 0: rank r gets mass ∝ 1 / r^skew."""
    n = config.num_items
    ranks = rng.permutation(n) + 1
    probs = np.zeros(n + 1)
    probs[1:] = 1.0 / ranks.astype(np.float64) ** config.popularity_skew
    return probs / probs.sum()


def _user_sequence(
    length: int,
    config: SyntheticConfig,
    children: list[tuple[list[int], list[float]]],
    pop_cdf: list[float],
    rng: np.random.Generator,
) -> list[int]:
    seq: list[int] = []
    seen: set[int] = set()

    def popular() -> int:
        for _ in range(64):  # rejection sampling; uniform over unseen items as a last resort
            item = bisect.bisect_right(pop_cdf, rng.random() * pop_cdf[-1]) + 1
            if item not in seen:
                return item
        unseen = [i for i in range(1, config.num_items + 1) if i not in seen]
        return unseen[int(rng.integers(len(unseen)))]

    for _ in range(length):
        item = 0
        if seq and rng.random() < config.causal_strength:
            candidates: dict[int, float] = {}
            for age, cause in enumerate(reversed(seq[-config.window :])):
                factor = config.recency_decay**age
                for child, weight in zip(*children[cause]):
                    if child not in seen:
                        candidates[child] = candidates.get(child, 0.0) + weight * factor
            if candidates:
                keys = list(candidates)
                cdf = np.cumsum([candidates[k] for k in keys])
                item = keys[int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))]
        if item == 0:
            item = popular()
        seq.append(item)
        seen.add(item)
    return seq


def make_synthetic(config: SyntheticConfig | None = None, **overrides: object) -> SequenceData:
    """Generate a ``SequenceData`` with its true causal graph in ``.graph``.

    Deterministic given ``config.seed``. ``overrides`` replace config fields, e.g.
    ``make_synthetic(num_users=200, seed=1)``.
    """
    config = config or SyntheticConfig()
    fields = {f.name for f in dataclasses.fields(SyntheticConfig)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise TypeError(
            f"unknown synthetic option(s) {unknown}; valid: {', '.join(sorted(fields))}"
        )
    overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    config = dataclasses.replace(config, **overrides)
    rng = np.random.default_rng(config.seed)
    graph = random_dag(config, rng)
    popularity = zipf_popularity(config, rng)
    pop_cdf = np.cumsum(popularity[1:]).tolist()
    children = []
    for item in range(config.num_items + 1):
        idx = np.flatnonzero(graph[item])
        children.append((idx.tolist(), graph[item, idx].tolist()))
    lo, hi = config.seq_len
    lengths = rng.integers(lo, hi + 1, size=config.num_users)
    sequences = [
        np.asarray(_user_sequence(int(n), config, children, pop_cdf, rng), dtype=np.int64)
        for n in lengths
    ]
    edges = int((graph > 0).sum())
    source = (
        f"synthetic: {config.num_users} users x {config.num_items} items, DAG with {edges} "
        f"edges, causal_strength={config.causal_strength}, seed={config.seed}"
    )
    log.debug("generated %s", source)
    return SequenceData(
        name="synthetic",
        sequences=sequences,
        num_items=config.num_items,
        raw_user_ids=np.arange(config.num_users, dtype=np.int64),
        raw_item_ids=np.concatenate([[-1], np.arange(1, config.num_items + 1)]).astype(np.int64),
        source=source,
        graph=graph,
    )


def is_acyclic(graph: np.ndarray) -> bool:
    """True when the directed graph ``graph > 0`` has no cycle (Kahn's algorithm)."""
    adjacency = np.asarray(graph) != 0
    indegree = adjacency.sum(axis=0)
    queue = list(np.flatnonzero(indegree == 0))
    visited = 0
    while queue:
        node = queue.pop()
        visited += 1
        for child in np.flatnonzero(adjacency[node]):
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    return visited == adjacency.shape[0]


def edge_follow_rate(data: SequenceData, window: int = 1) -> float:
    """Share of steps whose item is a child (in ``data.graph``) of one of the previous
    ``window`` items: a direct measure of how much causal signal the sequences carry."""
    if data.graph is None:
        raise ValueError(f"{data.name} has no ground-truth graph")
    hits = total = 0
    adjacency = data.graph > 0
    for seq in data.sequences:
        for t in range(1, len(seq)):
            causes = seq[max(0, t - window) : t]
            hits += bool(adjacency[causes, seq[t]].any())
            total += 1
    return hits / total if total else 0.0
