"""Eq. (18): the β/ρ schedule on scripted h values, the cap, checkpointing."""

import json
import math

import pytest
import torch

from causalrec.discovery import AugmentedLagrangian


def test_schedule_follows_eq18():
    al = AugmentedLagrangian()
    # (kappa, expected rho, expected beta) after each update, computed by hand:
    script = [
        (2.0, 10.0, 2.0),  # κ⁻ = 0: grows; β = 0 + 1·2
        (1.0, 100.0, 12.0),  # 1 ≥ 0.25·2: grows; β = 2 + 10·1
        (0.125, 100.0, 24.5),  # 0.125 < 0.25·1: ρ stays; β = 12 + 100·0.125
        (0.0625, 1000.0, 30.75),  # 0.0625 ≥ 0.25·0.125: grows; β = 24.5 + 100·0.0625
        (0.0, 1000.0, 30.75),  # 0 < 0.25·0.0625: ρ stays; β unchanged
        (0.0, 10000.0, 30.75),  # κ⁻ = 0 again: 0 ≥ 0 grows ρ
    ]
    for step, (kappa, rho, beta) in enumerate(script):
        al.update(kappa)
        assert al.rho == rho, step
        assert al.beta == beta, step
        assert al.kappa_prev == kappa
    assert [r["kappa"] for r in al.history] == [k for k, _, _ in script]
    assert [(r["rho"], r["beta"]) for r in al.history] == [(r, b) for _, r, b in script]


def test_rho_max_caps_growth():
    al = AugmentedLagrangian(rho_max=50.0)
    for expected_rho, expected_beta in [(10.0, 1.0), (50.0, 11.0), (50.0, 61.0)]:
        al.update(1.0)
        assert (al.rho, al.beta) == (expected_rho, expected_beta)


def test_penalty_value_and_gradient():
    al = AugmentedLagrangian(rho=4.0, beta=3.0)
    h = torch.tensor(0.5, requires_grad=True)
    p = al.penalty(h)
    assert p.item() == pytest.approx(4.0 / 2 * 0.25 + 3.0 * 0.5)
    p.backward()
    assert h.grad.item() == pytest.approx(4.0 * 0.5 + 3.0)  # ρ h + β
    torch.testing.assert_close(al.penalty(torch.tensor([0.0, 1.0])), torch.tensor([0.0, 5.0]))


def test_non_finite_kappa_is_refused():
    al = AugmentedLagrangian()
    for bad in (math.inf, math.nan):
        with pytest.raises(ValueError, match="not finite"):
            al.update(bad)
    assert (al.rho, al.beta, al.history) == (1.0, 0.0, [])
    huge = AugmentedLagrangian(rho=1e300, rho_max=1e300)
    with pytest.raises(OverflowError, match="beta"):
        huge.update(1e10)


def test_state_dict_roundtrip():
    al = AugmentedLagrangian(gamma1=5.0, rho_max=1e3)
    for kappa in (3.0, 1.0, 0.1):
        al.update(kappa)
    state = al.state_dict()
    restored = AugmentedLagrangian()
    restored.load_state_dict(json.loads(json.dumps(state)))  # plain, JSON-safe values
    assert restored == al
    al.update(0.5)
    restored.update(0.5)
    assert restored.state_dict() == al.state_dict()
    with pytest.raises(KeyError, match="rho"):
        AugmentedLagrangian().load_state_dict({"beta": 0.0})
