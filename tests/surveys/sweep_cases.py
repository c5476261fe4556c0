"""The surveys module's routes in the isolation and role sweeps (tests/sweep/core.py)."""

from tests.sweep.core import Case


def populate(tenant, marker):
    return {}


def snapshot(tenant):
    return {}


CASES: dict[str, Case] = {}
