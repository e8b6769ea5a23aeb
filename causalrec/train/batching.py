"""Turning per-user sequences into left-padded tensors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pad_left(sequences: Sequence[np.ndarray], max_len: int) -> np.ndarray:
    """(U, max_len) int64: the last ``max_len`` items of each sequence, left-padded with 0."""
    out = np.zeros((len(sequences), max_len), dtype=np.int64)
    for row, seq in enumerate(sequences):
        tail = np.asarray(seq, dtype=np.int64)[-max_len:]
        if len(tail):
            out[row, max_len - len(tail) :] = tail
    return out


def training_pairs(train_sequences: Sequence[np.ndarray], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Next-item pairs (SASRec): inputs s[:-1] and targets s[1:], both left-padded.

    Users whose training sequence has fewer than two items give no pair and are dropped.
    Returns (inputs, targets), each (U', max_len); a target of 0 marks padding.
    """
    kept = [np.asarray(s, dtype=np.int64) for s in train_sequences if len(s) >= 2]
    inputs = pad_left([s[:-1] for s in kept], max_len)
    targets = pad_left([s[1:] for s in kept], max_len)
    return inputs, targets
