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


def training_users(train_sequences: Sequence[np.ndarray]) -> np.ndarray:
    """Row index (into ``data.sequences``) of each pair :func:`training_pairs` returns, in order."""
    return np.fromiter((u for u, s in enumerate(train_sequences) if len(s) >= 2), dtype=np.int64)


def prefix_samples(train_sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every training prefix as (user, end): input ``s[:end]`` (end >= 1), target ``s[end]``.

    This is the sample set of models trained on the last position of each prefix
    (BSARec's and NARM's official data loaders). Returns two int64 arrays of equal length.
    """
    lengths = np.fromiter((len(s) for s in train_sequences), dtype=np.int64,
                          count=len(train_sequences))
    counts = np.clip(lengths - 1, 0, None)
    users = np.repeat(np.arange(len(train_sequences), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts  # first sample of each user
    ends = np.arange(len(users), dtype=np.int64) - np.repeat(starts, counts) + 1
    return users, ends


def prefix_batch(train_sequences: Sequence[np.ndarray], users: np.ndarray, ends: np.ndarray,
                 max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Left-padded inputs (B, max_len) of the prefixes and targets (B, max_len), 0 except
    in the last column, which holds each prefix's next item."""
    inputs = pad_left([train_sequences[u][:e] for u, e in zip(users, ends)], max_len)
    targets = np.zeros_like(inputs)
    targets[:, -1] = [train_sequences[u][e] for u, e in zip(users, ends)]
    return inputs, targets


def crop_padding(seqs, *aligned):
    """Drop the leading columns that are padding in every row of ``seqs`` (B, n).

    Exact for CausalRec: padded keys are masked, padded outputs are zeroed, positions
    are right-aligned and covariance entries of all-padding positions are zero. It
    turns a batch of short sequences in a long window into a short batch.
    """
    real_cols = (seqs > 0).any(0)
    start = int(real_cols.float().argmax()) if bool(real_cols.any()) else seqs.shape[1] - 1
    if start == 0:
        return (seqs, *aligned) if aligned else seqs
    cropped = [t[:, start:] for t in (seqs, *aligned)]
    return tuple(cropped) if aligned else cropped[0]
