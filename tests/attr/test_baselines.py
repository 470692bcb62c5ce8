"""Every baseline specification resolves to (N, K, 4, L) references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from captum_genomics import dinucleotide_shuffle, make_baselines, one_hot

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
