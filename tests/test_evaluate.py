"""Evaluation protocol: hand-computed metrics, negatives, full ranking."""

from __future__ import annotations

import math

import numpy as np
import torch

from causalrec.models.base import MostPopular, SequentialRecommender
from causalrec.train.evaluate import Evaluator, metrics_from_ranks, rank_of_first, sample_negatives


def test_metrics_match_hand_computed_ranks():
    ranks = np.array([0, 1, 4, 9, 10, 50])
    m = metrics_from_ranks(ranks)
    assert m["HR@10"] == 4 / 6
    assert m["HR@5"] == 3 / 6
    expected_ndcg10 = (1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(6) + 1 / math.log2(11)) / 6
    assert math.isclose(m["NDCG@10"], expected_ndcg10)
    assert math.isclose(m["MRR"], np.mean(1 / (ranks + 1)))
    assert m["HR@20"] == 5 / 6


def test_rank_is_pessimistic_on_ties():
    scores = torch.tensor([[1.0, 1.0, 1.0, 0.0], [2.0, 1.0, 3.0, 0.5], [5.0, 1.0, 1.0, 1.0]])
    assert rank_of_first(scores).tolist() == [2, 1, 0]


def test_negatives_exclude_user_items_and_are_reproducible():
    rng_items = np.random.default_rng(0)
    users = [rng_items.choice(np.arange(1, 201), size=s, replace=False) for s in (5, 50, 150, 120)]
    a = sample_negatives(users, 200, 40, np.random.default_rng(7))
    b = sample_negatives(users, 200, 40, np.random.default_rng(7))
    assert np.array_equal(a, b)
    for u, seen in enumerate(users):
        assert not np.isin(a[u], seen).any()
        assert len(np.unique(a[u])) == 40
        assert a[u].min() >= 1 and a[u].max() <= 200


class _Fixed(SequentialRecommender):
    """Scores items by a fixed vector, whatever the history."""

    def __init__(self, scores):
        super().__init__()
        self.scores = torch.as_tensor(scores, dtype=torch.float32)

    def score_all(self, seqs):
        return self.scores.expand(seqs.shape[0], -1)


def test_evaluator_same_negatives_for_every_model_and_correct_ranks(synthetic_small):
    data = synthetic_small
    ev1 = Evaluator(data, "test", max_len=20, seed=11)
    ev2 = Evaluator(data, "test", max_len=20, seed=11)
    assert torch.equal(ev1.negatives, ev2.negatives)
    assert not torch.equal(Evaluator(data, "valid", max_len=20, seed=11).negatives, ev1.negatives)
    for u in range(data.num_users):
        assert not np.isin(ev1.negatives[u].numpy(), data.sequences[u]).any()
    # a model that scores item i by i: rank = number of candidates with a larger id
    model = _Fixed(np.arange(data.num_items + 1, dtype=np.float32))
    ranks = ev1.ranks(model, "sampled100")
    expected = (ev1.negatives > ev1.targets[:, None]).sum(1).numpy()
    assert np.array_equal(ranks, expected)
    full = ev1.ranks(model, "full")
    for u in range(5):
        hist = set(data.sequences[u][:-1].tolist()) - {int(ev1.targets[u])}
        larger = [i for i in range(int(ev1.targets[u]) + 1, data.num_items + 1) if i not in hist]
        assert full[u] == len(larger)


def test_most_popular_scores_training_counts(synthetic_small):
    model = MostPopular(synthetic_small.num_items).fit(synthetic_small.split("train")[0])
    counts = np.zeros(synthetic_small.num_items + 1)
    for s in synthetic_small.split("train")[0]:
        np.add.at(counts, s, 1)
    assert np.array_equal(model.counts[1:].numpy(), counts[1:])
    m = Evaluator(synthetic_small, "test", 20).evaluate(model)
    assert 0.0 < m["NDCG@10"] < 1.0
