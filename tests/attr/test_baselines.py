"""Every baseline specification resolves to (N, K, 4, L) references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import captum_genomics.attr.baselines
from captum_genomics import (
    GenomicIntegratedGradients,
    check_one_hot,
    dinucleotide_shuffle,
    make_baselines,
    one_hot,
)
from captum_genomics.attr.baselines import nearest_sequences

X = one_hot(["ACGTTGCAAGGT", "TTTTACGCGCAA"])  # (2, 4, 12)


@pytest.mark.parametrize("spec, value", [("uniform", 0.25), ("zeros", 0.0), (0.1, 0.1), (0, 0.0)])
def test_constant_baselines(spec, value):
    b = make_baselines(spec, X)
    assert b.shape == (2, 1, 4, 12) and b.dtype == X.dtype
    assert torch.all(b == value)


def test_shuffle_is_seeded_and_matches_dinucleotide_shuffle():
    b = make_baselines("shuffle", X, n_shuffles=5, seed=3)
    assert b.shape == (2, 5, 4, 12)
    torch.testing.assert_close(b, dinucleotide_shuffle(X, 5, seed=3))
    assert not torch.equal(b, make_baselines("shuffle", X, n_shuffles=5, seed=4))


def test_tensor_shapes_and_layouts():
    ref = one_hot(["GGGGCCCCAAAA"])
    for spec in (ref[0], ref, ref.expand(2, -1, -1), ref.expand(2, -1, -1).unsqueeze(1),
                 ref.numpy(), (ref,)):
        b = make_baselines(spec, X)
        assert b.shape == (2, 1, 4, 12)
        torch.testing.assert_close(b[1, 0], ref[0])
    nlc = make_baselines(ref.transpose(1, 2), X.transpose(1, 2), layout="NLC")
    torch.testing.assert_close(nlc[:, 0], ref.expand(2, -1, -1))
    many = torch.stack([X.flip(-1), X.roll(3, -1), X], dim=1)  # (N, K=3, 4, L)
    b = make_baselines(many.transpose(2, 3), X.transpose(1, 2), layout="NLC")
    torch.testing.assert_close(b, many)


def test_callable_gets_inputs_in_user_layout():
    seen = []

    def reverse(inp):
        seen.append(tuple(inp.shape))
        return inp.flip(1)

    b = make_baselines(reverse, X.transpose(1, 2), layout="NLC")
    assert seen == [(2, 12, 4)]
    torch.testing.assert_close(b[:, 0], X.flip(-1))


def test_bad_specs_name_the_problem():
    with pytest.raises(ValueError, match="unknown baseline"):
        make_baselines("gc_matched", X)
    with pytest.raises(ValueError, match="n_shuffles"):
        make_baselines("shuffle", X, n_shuffles=0)
    with pytest.raises(ValueError, match="do not match"):
        make_baselines(torch.zeros(2, 4, 11), X)
    with pytest.raises(ValueError, match="dimensions"):
        make_baselines(torch.zeros(1, 1, 2, 4, 12), X)
    with pytest.raises(TypeError, match="callable"):
        make_baselines(object(), X)
    with pytest.raises(ValueError, match="one entry"):
        make_baselines((0.0, 0.25), X)
    with pytest.raises(ValueError, match="NLC"):
        make_baselines("uniform", np.zeros((2, 12, 4), dtype=np.float32))


def test_noisy_inputs_are_shuffled_as_their_nearest_sequences():
    with_n = torch.cat([X, one_hot(["ACGTNNACGTAC"], n_policy="uniform")])  # (3, 4, 12)
    torch.testing.assert_close(nearest_sequences(with_n), with_n, atol=0, rtol=0)
    noise = 0.1 * torch.randn(with_n.shape, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(nearest_sequences(with_n + noise), with_n, atol=0, rtol=0)
    clean = make_baselines("shuffle", with_n, n_shuffles=4, seed=2)
    torch.testing.assert_close(make_baselines("shuffle", with_n + noise, n_shuffles=4, seed=2),
                               clean, atol=0, rtol=0)
    # a column is read as its nearest: a base, the all-zero N or the all-0.25 N column
    columns = torch.tensor([[0.6, 0.2, 0.1, 0.0], [0.05, -0.1, 0.1, 0.0],
                            [0.3, 0.2, 0.3, 0.2], [0.1, 0.2, 0.9, 0.3]]).T.unsqueeze(0)
    expected = torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]]).T
    torch.testing.assert_close(nearest_sequences(columns)[0], expected, atol=0, rtol=0)
    # one N encoding per sequence, that of most N columns
    two_quarters = torch.cat([columns, columns[..., 2:3]], dim=2)
    assert torch.all(nearest_sequences(two_quarters)[0, :, [1, 2, 4]] == 0.25)


def test_explainers_validate_the_inputs_once(monkeypatch):
    import captum_genomics.attr.baselines as baselines_module
    import captum_genomics.attr.integrated_gradients as ig_module

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return check_one_hot(*args, **kwargs)

    def refused(*args, **kwargs):
        raise AssertionError("the explainer validates its inputs itself")

    monkeypatch.setattr(ig_module, "check_one_hot", counted)
    monkeypatch.setattr(baselines_module, "check_one_hot", refused)
    ig = GenomicIntegratedGradients(lambda inp: inp[:, 0].sum(dim=1))
    attr = ig.attribute(X, baselines="shuffle", n_shuffles=3, n_steps=4)
    assert len(calls) == 1
    # a linear model: completeness is exact, against the shuffles of X
    expected = X[:, 0].sum(dim=1) - dinucleotide_shuffle(X, 3)[:, :, 0].sum(dim=2).mean(dim=1)
    torch.testing.assert_close(attr.sum(dim=(1, 2)), expected)


@pytest.mark.parametrize("name", ["BASELINE_NAMES", "BaselineSpec", "make_baselines"])
def test_old_module_forwards_with_a_warning(name):
    import captum_genomics.baselines as old

    with pytest.warns(DeprecationWarning, match=rf"captum_genomics\.baselines\.{name} .*"
                                                rf"captum_genomics\.attr\.baselines\.{name}"):
        forwarded = getattr(old, name)
    assert forwarded is getattr(captum_genomics.attr.baselines, name)
