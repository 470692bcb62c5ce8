"""Long inputs for GenomicIntegratedGradients: windowed evaluation and checkpointing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics import GenomicIntegratedGradients
from captum_genomics.models import DeepGCNN
from captum_genomics.models.spliceai import SpliceAI


def random_one_hot(n: int, length: int, seed: int, dtype=torch.float64) -> torch.Tensor:
    codes = np.random.default_rng(seed).integers(0, 4, size=(n, length))
    return torch.from_numpy(np.eye(4)[codes].transpose(0, 2, 1).copy()).to(dtype)


class SameCNN(torch.nn.Module):
    """'same'-padded convolutions, per-position output (N, 2, L); receptive radius 1 + 2 d."""

    def __init__(self, dilation: int, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.conv1 = torch.nn.Conv1d(4, 6, 3, padding=1)
        self.conv2 = torch.nn.Conv1d(6, 2, 3, padding=dilation, dilation=dilation)

    def forward(self, x):
        return self.conv2(torch.nn.functional.softplus(self.conv1(x)))


class Recorder(torch.nn.Module):
    """Records the lengths of the inputs it is given."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.lengths = []

    def forward(self, x, *args):
        self.lengths.append(x.shape[-1])
        return self.model(x, *args)


def random_spliceai(seed: int) -> SpliceAI:
    torch.manual_seed(seed)
    model = SpliceAI(80)
    for bn in model.modules():
        if isinstance(bn, torch.nn.BatchNorm1d):
            bn.running_mean.normal_(0, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    return model.double().eval()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), dilation=st.integers(1, 3), start=st.integers(0, 55),
       width=st.integers(1, 5), kind=st.sampled_from(["uniform", "shuffle"]),
       tol=st.sampled_from([None, 1e-6]))
def test_window_equals_the_whole_input_computation(seed, dilation, start, width, kind, tol):
    """Windows anywhere, edges included: same attributions and delta as summing the window
    of the whole output; zeros outside the receptive field; the model sees only the crop."""
    length = 60
    stop = min(start + width, length)
    model = SameCNN(dilation, seed).double()
    radius = 1 + dilation
    x = random_one_hot(2, length, seed)
    kwargs = dict(baselines=kind, n_shuffles=2, seed=seed, target=1, n_steps=16,
                  return_convergence_delta=True, completeness_tol=tol)
    whole, d_whole = GenomicIntegratedGradients(
        lambda inp: model(inp)[..., start:stop].sum(-1)).attribute(x, **kwargs)
    recorder = Recorder(model)
    ig = GenomicIntegratedGradients(recorder)
    windowed, d_window = ig.attribute(x, output_window=(start, stop), receptive_field=radius,
                                      **kwargs)
    torch.testing.assert_close(windowed, whole, atol=1e-12, rtol=1e-9)
    torch.testing.assert_close(d_window, d_whole, atol=1e-12, rtol=1e-9)
    lo, hi = max(0, start - radius), min(length, stop + radius)
    assert set(recorder.lengths) == {hi - lo}
    assert torch.all(windowed[..., :lo] == 0) and torch.all(windowed[..., hi:] == 0)
    assert windowed.abs().sum() > 0


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 1000), site=st.integers(0, 39), width=st.integers(1, 3))
def test_window_on_a_valid_padded_model_equals_the_whole_input(seed, site, width):
    """SpliceAI-80 (valid convolutions, output i = input i + 40) on a 120-nt input."""
    model = random_spliceai(seed)
    x = random_one_hot(1, 120, seed)
    stop = min(site + width, 40)
    whole = GenomicIntegratedGradients(
        lambda inp: model(inp)[..., site:stop].sum(-1)).attribute(x, target=2, n_steps=8)
    recorder = Recorder(model)
    windowed = GenomicIntegratedGradients(recorder).attribute(
        x, target=2, n_steps=8, output_window=(site, stop), receptive_field=(0, model.context))
    torch.testing.assert_close(windowed, whole, atol=1e-12, rtol=1e-9)
    assert set(recorder.lengths) == {stop - site + model.context}
    assert torch.all(windowed[..., :site] == 0)
    assert torch.all(windowed[..., stop + model.context:] == 0)


def test_window_in_nlc_layout_and_an_int_window():
    model = SameCNN(2, 0).double()

    def nlc_model(inp):  # (N, L, 4) -> (N, L, 2), positions on axis 1
        return model(inp.transpose(1, 2)).transpose(1, 2)

    x = random_one_hot(1, 40, 3)
    ncl = GenomicIntegratedGradients(model).attribute(x, target=0, output_window=17,
                                                      receptive_field=3)
    nlc = GenomicIntegratedGradients(nlc_model, layout="NLC").attribute(
        x.transpose(1, 2), target=0, output_window=(17, 18), receptive_field=(-3, 3))
    torch.testing.assert_close(nlc.transpose(1, 2), ncl, atol=1e-12, rtol=0)
    assert ncl[..., 14:21].abs().sum() > 0 and torch.all(ncl[..., 21:] == 0)


def test_window_errors_name_the_fix():
    model = SameCNN(1, 0).double()
    x = random_one_hot(1, 30, 0)
    ig = GenomicIntegratedGradients(model)
    with pytest.raises(ValueError, match="needs receptive_field"):
        ig.attribute(x, target=0, output_window=3)
    with pytest.raises(ValueError, match="window="):
        ig.attribute(x, target=0, receptive_field=2)
    with pytest.raises(ValueError, match="0 <= start < stop"):
        ig.attribute(x, target=0, output_window=(5, 5), receptive_field=2)
    with pytest.raises(ValueError, match="lo <= hi"):
        ig.attribute(x, target=0, output_window=5, receptive_field=(3, -3))
    with pytest.raises(TypeError, match="pair of ints"):
        ig.attribute(x, target=0, output_window=5.0, receptive_field=2)
    with pytest.raises(ValueError, match="reads no input"):
        ig.attribute(x, target=0, output_window=(40, 41), receptive_field=2)
    # a model that trims 10 positions, given too small a receptive field, has too few outputs
    with pytest.raises(ValueError, match="check receptive_field"):
        GenomicIntegratedGradients(lambda inp: model(inp)[..., 5:-5]).attribute(
            x, target=1, output_window=12, receptive_field=2)
    with pytest.raises(ValueError, match="per-position outputs"):
        GenomicIntegratedGradients(lambda inp: inp.sum((1, 2))).attribute(
            x, output_window=3, receptive_field=1)


def test_window_keyword_is_the_deprecated_name_of_output_window():
    model = SameCNN(1, 0).double()
    x = random_one_hot(1, 30, 0)
    ig = GenomicIntegratedGradients(model)
    new = ig.attribute(x, target=0, output_window=(10, 12), receptive_field=2)
    with pytest.warns(DeprecationWarning, match=r"attribute\(window=...\).*output_window="):
        old = ig.attribute(x, target=0, window=(10, 12), receptive_field=2)
    torch.testing.assert_close(old, new, atol=0, rtol=0)
    assert torch.all(new[..., :8] == 0) and new[..., 8:14].abs().sum() > 0
    with pytest.raises(TypeError, match="both 'window' and its new name 'output_window'"):
        ig.attribute(x, target=0, window=3, output_window=3, receptive_field=2)


def deep_model(seed: int) -> DeepGCNN:
    torch.manual_seed(seed)
    return DeepGCNN(None, filters=(6, 8, 8), kernel_sizes=(5, 3, 3), pool_sizes=(2, 1, 2),
                    head="global_average").double().eval()


@pytest.mark.parametrize("segments", [1, 2, 3, 50])
def test_checkpointing_gives_the_same_attributions_and_recomputes(segments):
    model = deep_model(0)
    x = random_one_hot(2, 200, 1)
    calls = []
    handle = model.body[0].register_forward_pre_hook(lambda *_: calls.append(1))
    kwargs = dict(baselines="shuffle", n_shuffles=2, target=1, n_steps=6,
                  internal_batch_size=4, return_convergence_delta=True)
    plain, d_plain = GenomicIntegratedGradients(model).attribute(x, **kwargs)
    plain_calls = len(calls)
    calls.clear()
    ckpt, d_ckpt = GenomicIntegratedGradients(model).attribute(
        x, checkpoint_segments=segments, **kwargs)
    handle.remove()
    torch.testing.assert_close(ckpt, plain, atol=1e-12, rtol=0)
    torch.testing.assert_close(d_ckpt, d_plain, atol=1e-12, rtol=0)
    n_grad_batches = 2 * 2 * 6 // 4  # the remaining calls score F(x) and F(b) without grad
    # a first layer inside a checkpointed segment runs again in the backward pass
    expected_extra = n_grad_batches if segments > 1 else 0
    assert len(calls) == plain_calls + expected_extra
    assert "forward" not in vars(model.body)  # the Sequential is restored


def test_checkpointing_reaches_sequentials_through_bound_methods_and_wrappers():
    class Wrapper(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = deep_model(1)
            self.extra = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Identity())

        def forward(self, x):
            return self.extra(self.inner(x))

    model = Wrapper()
    x = random_one_hot(1, 100, 2)
    plain = GenomicIntegratedGradients(model).attribute(x, target=0, n_steps=4)
    bound = GenomicIntegratedGradients(model.forward).attribute(
        x, target=0, n_steps=4, checkpoint_segments=2, completeness_tol=1e-3)
    same = GenomicIntegratedGradients(model.forward).attribute(
        x, target=0, n_steps=4, checkpoint_segments=2)
    torch.testing.assert_close(same, plain, atol=1e-12, rtol=0)
    assert bound.shape == x.shape
    assert "forward" not in vars(model.inner.body) and "forward" not in vars(model.extra)
    # a Sequential given directly is itself the body
    torch.manual_seed(3)
    seq = torch.nn.Sequential(torch.nn.Conv1d(4, 5, 3, padding=1), torch.nn.Softplus(),
                              torch.nn.Conv1d(5, 2, 3, padding=1)).double()
    direct = GenomicIntegratedGradients(seq).attribute(x, target=(1, 50), n_steps=4,
                                                       checkpoint_segments=3)
    plain = GenomicIntegratedGradients(seq).attribute(x, target=(1, 50), n_steps=4)
    torch.testing.assert_close(direct, plain, atol=1e-12, rtol=0)
    assert "forward" not in vars(seq)


def test_checkpointing_without_a_sequential_is_refused():
    x = random_one_hot(1, 20, 0)
    with pytest.raises(ValueError, match="nn.Sequential"):
        GenomicIntegratedGradients(lambda inp: inp.sum((1, 2))).attribute(
            x, checkpoint_segments=2)
    with pytest.raises(ValueError, match="nn.Sequential"):
        GenomicIntegratedGradients(SameCNN(1, 0).double()).attribute(
            x, target=(0, 3), checkpoint_segments=2)


def test_long_input_with_window_and_batches_stays_on_the_crop():
    """A 200 kb input, one output position: the model only ever sees the 2 r + 1 crop."""
    model = SameCNN(3, 5)
    x = random_one_hot(1, 200_000, 0, dtype=torch.float32)
    recorder = Recorder(model)
    attr, delta = GenomicIntegratedGradients(recorder).attribute(
        x, target=1, output_window=123_456, receptive_field=4, n_steps=32, internal_batch_size=8,
        return_convergence_delta=True)
    assert set(recorder.lengths) == {9}
    assert attr.shape == x.shape and attr[..., 123_452:123_461].abs().sum() > 0
    assert torch.all(attr[..., :123_452] == 0) and torch.all(attr[..., 123_461:] == 0)
    assert abs(float(delta)) < 1e-2
