"""Tests of the shared splice-site pieces (splicing.sites): kinds, reductions, checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics.splicing.sites import (
    REDUCTIONS,
    SITE_CLASSES,
    as_positions,
    check_exons,
    check_input_positions,
    check_reduce,
    model_context,
    reduce_sites,
    site_classes,
    sites_read,
)
from tests.support import random_spliceai


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_reductions_agree_on_numpy_and_torch(reduce):
    acceptor = np.array([0.1, 0.9, 0.5])
    donor = np.array([0.7, 0.2, 0.5])
    expected = {
        "mean": [0.4, 0.55, 0.5],
        "max": [0.7, 0.9, 0.5],
        "min": [0.1, 0.2, 0.5],
        "acceptor": acceptor,
        "donor": donor,
    }[reduce]
    np.testing.assert_allclose(reduce_sites(acceptor, donor, reduce), expected)
    a = torch.tensor(acceptor, requires_grad=True)
    d = torch.tensor(donor, requires_grad=True)
    got = reduce_sites(a, d, reduce)
    np.testing.assert_allclose(got.detach().numpy(), expected)
    got.sum().backward()
    for tensor, read in zip((a, d), sites_read(reduce)):
        assert (tensor.grad is not None and tensor.grad.sum() > 0) == read


def test_sites_read_and_unread_sites_may_be_missing():
    assert sites_read("acceptor") == (True, False)
    assert sites_read("donor") == (False, True)
    assert all(sites_read(r) == (True, True) for r in ("mean", "max", "min"))
    assert reduce_sites(np.ones(2), None, "acceptor").tolist() == [1.0, 1.0]
    assert reduce_sites(None, np.zeros(2), "donor").tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="reduce must be one of"):
        reduce_sites(np.ones(2), np.ones(2), "sum")
    with pytest.raises(ValueError, match="reduce must be one of"):
        check_reduce("median")


def test_site_classes():
    assert site_classes("donor", 3) == [SITE_CLASSES["donor"]] * 3 == [2, 2, 2]
    assert site_classes(["acceptor", 0, np.int64(2)], 3) == [1, 0, 2]
    with pytest.raises(ValueError, match="unknown site kind True"):
        site_classes([True], 1)
    with pytest.raises(ValueError, match="1 site kinds for 2 sites"):
        site_classes(["acceptor"], 2)


def test_model_context_and_positions():
    assert model_context(random_spliceai(80)) == 80

    class Odd(torch.nn.Module):
        context = 81

    for model in (Odd(), torch.nn.Identity()):
        with pytest.raises(TypeError, match="even integer `context`"):
            model_context(model)
    assert as_positions([[1, 2]], "sites").dtype == torch.long
    with pytest.raises(TypeError, match="integers"):
        as_positions([True], "sites")
    sites = torch.tensor([40, 99])
    check_input_positions(sites, 80, 140)
    with pytest.raises(ValueError, match=r"input positions 40\.\.99 .*\(output positions 0\.\.59"):
        check_input_positions(sites + 1, 80, 140)


def test_exon_pairs_order():
    pairs = np.array([[3, 3], [4, 9]])
    assert check_exons(pairs) is pairs
    with pytest.raises(ValueError, match=r"acceptor <= donor.*\[9, 4\]"):
        check_exons(torch.tensor([[3, 3], [9, 4]]))
