"""Test configuration: Hypothesis runs derandomized, so a failure reproduces exactly; the torch
modules run on one intra-op thread."""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a module (``pytest -n 2`` runs two workers on the two cores,
    and the train/sample commands set the count themselves), restored for the other modules."""
    import torch   # only the torch modules use this fixture
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def fresh_data():
    """4000 fresh draws of the two-mode mixture the sampler tests judge samples against (one
    definition for tests/test_torch_samplers.py, test_torch_ddim.py and test_torch_edm.py)."""
    import torch   # only the torch modules use this fixture
    from tests.test_torch_samplers import MIX
    return MIX.sample(4000, torch.Generator().manual_seed(123))
