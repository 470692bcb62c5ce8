"""Shared test set-up."""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import HealthCheck, settings

# Property tests are derandomised by default so a CI run is reproducible: the same examples
# every time, chosen from the test's source. HYPOTHESIS_PROFILE=explore draws fresh examples.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Run single-threaded: CI has 2 cores and runs 2 test workers, and small convolutions
    crawl when threads compete."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
