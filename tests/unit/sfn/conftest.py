"""Fixtures for the executor's behaviour tests: a fresh executor on a virtual clock at T0."""

from __future__ import annotations

import pytest
from sfn_helpers import new_sfn

from nurture_local.sfn.executor import LocalStepFunctions


@pytest.fixture
def sfn() -> LocalStepFunctions:
    return new_sfn()
