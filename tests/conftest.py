"""Shared fixtures: tiny synthetic data, deterministic torch, an isolated cache."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Processed-data cache in a per-session temp folder, never the user's home."""
    monkeypatch.setenv("CAUSALREC_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def synthetic_small():
    from causalrec.data import make_synthetic

    return make_synthetic(num_users=300, num_items=80, seed=3)
