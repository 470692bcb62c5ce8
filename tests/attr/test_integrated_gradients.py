"""Axioms and Captum compatibility of GenomicIntegratedGradients."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients, NoiseTunnel
from captum.metrics import infidelity, sensitivity_max
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics import (
    GenomicIntegratedGradients,
    dinucleotide_shuffle,
    make_baselines,
    one_hot,
)
from tests.support import needs_spliceai

torch.set_default_dtype(torch.float32)
SPLICEAI_FIXTURE = (Path(__file__).resolve().parent.parent / "fixtures"
                    / "spliceai_reference_outputs.npz")


class SmallCNN(torch.nn.Module):
    """Conv -> softplus -> global mean and soft max -> linear: smooth, so IG converges fast."""

    def __init__(self, channels: int, kernel: int, n_out: int = 2, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.conv = torch.nn.Conv1d(4, channels, kernel, padding=kernel // 2)
        self.head = torch.nn.Linear(2 * channels, n_out)

    def forward(self, x):
        h = torch.nn.functional.softplus(self.conv(x))
        return self.head(torch.cat([h.mean(dim=2), torch.logsumexp(h, dim=2)], dim=1))


def random_one_hot(n: int, length: int, seed: int, dtype=torch.float64) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, length))
    return torch.from_numpy(np.eye(4)[codes].transpose(0, 2, 1).copy()).to(dtype)


models = st.builds(
    lambda c, k, s: SmallCNN(c, k, seed=s).double().eval(),
    st.integers(2, 6), st.sampled_from([1, 3, 5]), st.integers(0, 10_000),
)
BASELINE_KINDS = ["uniform", "zeros", "shuffle", 0.1, "tensor", "callable"]


def resolve(kind, x):
    if kind == "tensor":
        return random_one_hot(x.shape[0], x.shape[2], seed=99)
    if kind == "callable":
        return lambda inp: inp.flip(-1)
    return kind


@settings(max_examples=12, deadline=None)
@given(model=models, seed=st.integers(0, 1000), kind=st.sampled_from(BASELINE_KINDS))
def test_completeness_every_baseline_kind(model, seed, kind):
    x = random_one_hot(2, 24, seed)
    ig = GenomicIntegratedGradients(model)
    attr, delta = ig.attribute(x, baselines=resolve(kind, x), target=1, n_steps=64,
                               n_shuffles=4, seed=seed, return_convergence_delta=True)
    assert attr.shape == x.shape
    assert torch.all(delta.abs() < 1e-6)
    # the delta is checked against an independent evaluation of the model
    if kind == "shuffle":
        b = dinucleotide_shuffle(x, 4, seed=seed)  # (N, K, 4, L)
        f_b = torch.stack([model(b[:, j])[:, 1] for j in range(4)], dim=1).mean(dim=1)
    else:
        b_spec = resolve(kind, x)
        b = b_spec(x) if callable(b_spec) else b_spec
        b = {"uniform": 0.25, "zeros": 0.0}.get(b, b) if isinstance(b, str) else b
        f_b = model(torch.zeros_like(x) + b)[:, 1]
    expected = model(x)[:, 1] - f_b
    torch.testing.assert_close(attr.sum(dim=(1, 2)), expected, atol=1e-6, rtol=0)


@settings(max_examples=8, deadline=None)
@given(model=models, seed=st.integers(0, 1000),
       method=st.sampled_from(["gausslegendre", "riemann_trapezoid", "riemann_left"]),
       batch=st.sampled_from([None, 3, 17]))
def test_identical_to_captum_for_tensor_baselines(model, seed, method, batch):
    model = model.float()
    x = random_one_hot(3, 30, seed, dtype=torch.float32)
    b = random_one_hot(3, 30, seed + 1, dtype=torch.float32) * 0.5 + 0.125
    ours = GenomicIntegratedGradients(model).attribute(
        x, baselines=b, target=0, n_steps=20, method=method, internal_batch_size=batch)
    theirs = IntegratedGradients(model).attribute(
        x, baselines=b, target=0, n_steps=20, method=method, internal_batch_size=batch)
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


def test_global_attribution_matches_captum():
    model = SmallCNN(4, 3).eval()
    x = random_one_hot(2, 16, 0, dtype=torch.float32)
    ours = GenomicIntegratedGradients(model, multiply_by_inputs=False).attribute(
        x, baselines="zeros", target=1)
    theirs = IntegratedGradients(model, multiply_by_inputs=False).attribute(
        x, baselines=0.0, target=1)
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


@settings(max_examples=8, deadline=None)
@given(model=models, seed=st.integers(0, 1000), position=st.integers(0, 19))
def test_sensitivity_single_differing_position(model, seed, position):
    """Inputs differing from the baseline at one position get all attribution there."""
    x = random_one_hot(1, 20, seed)
    b = x.clone()
    b[0, :, position] = 0.25
    ig = GenomicIntegratedGradients(model)
    attr = ig.attribute(x, baselines=b, target=0, n_steps=64)
    others = torch.ones(20, dtype=torch.bool)
    others[position] = False
    assert torch.all(attr[0][:, others] == 0)
    change = model(x)[0, 0] - model(b)[0, 0]
    torch.testing.assert_close(attr[0, :, position].sum(), change, atol=1e-7, rtol=0)
    if abs(change) > 1e-4:
        assert attr[0, :, position].abs().sum() > 0


class HalfBlind(torch.nn.Module):
    """Uses only the first half of the sequence."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        half = x.shape[2] // 2
        return self.inner(x[:, :, :half])


@settings(max_examples=6, deadline=None)
@given(model=models, seed=st.integers(0, 1000),
       kind=st.sampled_from(["uniform", "zeros", "shuffle"]))
def test_dummy_positions_get_zero(model, seed, kind):
    x = random_one_hot(2, 20, seed)
    attr = GenomicIntegratedGradients(HalfBlind(model)).attribute(
        x, baselines=kind, target=0, n_shuffles=3, seed=seed)
    assert torch.all(attr[:, :, 10:] == 0)
    assert attr[:, :, :10].abs().sum() > 0


class UnfoldedCNN(torch.nn.Module):
    """SmallCNN computed with unfold + matmul: the same function, another implementation."""

    def __init__(self, reference: SmallCNN):
        super().__init__()
        self.ref = reference

    def forward(self, x):
        conv = self.ref.conv
        k = conv.kernel_size[0]
        padded = torch.nn.functional.pad(x, (k // 2, k // 2))
        windows = padded.unfold(2, k, 1)  # (N, 4, L, k)
        h = torch.einsum("nclk,ock->nol", windows, conv.weight) + conv.bias[:, None]
        h = torch.nn.functional.softplus(h)
        return self.ref.head(torch.cat([h.mean(dim=2), torch.logsumexp(h, dim=2)], dim=1))


@settings(max_examples=6, deadline=None)
@given(model=models, seed=st.integers(0, 1000))
def test_implementation_invariance(model, seed):
    x = random_one_hot(2, 18, seed)
    twin = UnfoldedCNN(model)
    torch.testing.assert_close(model(x), twin(x))
    a = GenomicIntegratedGradients(model).attribute(x, baselines="shuffle", n_shuffles=3,
                                                    target=1, seed=seed)
    b = GenomicIntegratedGradients(twin).attribute(x, baselines="shuffle", n_shuffles=3,
                                                   target=1, seed=seed)
    torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-7)


@settings(max_examples=6, deadline=None)
@given(m1=models, m2=models, seed=st.integers(0, 1000),
       w=st.tuples(st.floats(-2, 2), st.floats(-2, 2)))
def test_linearity(m1, m2, seed, w):
    x = random_one_hot(2, 16, seed)

    def combo(inp):
        return w[0] * m1(inp) + w[1] * m2(inp)

    kwargs = dict(baselines="uniform", target=0, n_steps=16)
    lhs = GenomicIntegratedGradients(combo).attribute(x, **kwargs)
    rhs = (w[0] * GenomicIntegratedGradients(m1).attribute(x, **kwargs)
           + w[1] * GenomicIntegratedGradients(m2).attribute(x, **kwargs))
    torch.testing.assert_close(lhs, rhs, atol=1e-10, rtol=1e-8)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 1000), i=st.integers(0, 9), j=st.integers(10, 19))
def test_symmetry(seed, i, j):
    """A function symmetric in positions i and j gives them equal attributions."""
    torch.manual_seed(seed)
    w = torch.randn(4, dtype=torch.float64)

    def sym(inp):
        a, b = inp[:, :, i] @ w, inp[:, :, j] @ w
        return torch.tanh(a * b + a + b).unsqueeze(1) + inp[:, 0, :].sum(1, keepdim=True)

    x = random_one_hot(1, 20, seed)
    x[:, :, j] = x[:, :, i]
    attr = GenomicIntegratedGradients(sym).attribute(x, baselines="uniform", target=0)
    torch.testing.assert_close(attr[:, :, i], attr[:, :, j], atol=1e-12, rtol=0)


@settings(max_examples=6, deadline=None)
@given(model=models, seed=st.integers(0, 1000))
def test_simplex_identity_and_aggregates(model, seed):
    """With a uniform baseline the locus total is the corrected path gradient of the
    observed base (REFERENCE §4); 'corrected' equals 'sum' on the simplex."""
    x = random_one_hot(2, 20, seed)
    ig = GenomicIntegratedGradients(model)
    total = ig.attribute(x, baselines="uniform", target=0, aggregate="sum")
    g = GenomicIntegratedGradients(model, multiply_by_inputs=False).attribute(
        x, baselines="uniform", target=0)
    corrected_observed = ((g - g.mean(dim=1, keepdim=True)) * x).sum(dim=1)
    torch.testing.assert_close(total, corrected_observed, atol=1e-12, rtol=0)
    for kind in ["uniform", "shuffle"]:
        s = ig.attribute(x, baselines=kind, target=0, aggregate="sum", n_shuffles=3)
        c = ig.attribute(x, baselines=kind, target=0, aggregate="corrected", n_shuffles=3)
        torch.testing.assert_close(s, c, atol=1e-12, rtol=0)
        hyp = ig.attribute(x, baselines=kind, target=0, aggregate="hypothetical", n_shuffles=3)
        assert hyp.shape == x.shape
        torch.testing.assert_close((hyp * x).sum(dim=1), s, atol=1e-12, rtol=0)
    # the zero baseline is where the correction matters
    zero_g = GenomicIntegratedGradients(model, multiply_by_inputs=False).attribute(
        x, baselines="zeros", target=0)
    c0 = ig.attribute(x, baselines="zeros", target=0, aggregate="corrected")
    torch.testing.assert_close(
        c0, ((zero_g - zero_g.mean(dim=1, keepdim=True)) * x).sum(dim=1), atol=1e-12, rtol=0)
    observed = ig.attribute(x, baselines="zeros", target=0, aggregate="observed")
    plain = ig.attribute(x, baselines="zeros", target=0)
    torch.testing.assert_close(observed, plain.sum(dim=1), atol=1e-12, rtol=0)
    abs_sum = ig.attribute(x, baselines="uniform", target=0, aggregate="abs_sum")
    torch.testing.assert_close(abs_sum, total.abs())


def test_nlc_layout_matches_ncl():
    model = SmallCNN(4, 3).double().eval()

    def nlc_model(inp):
        return model(inp.transpose(1, 2))

    x = random_one_hot(2, 20, 3)
    a = GenomicIntegratedGradients(model).attribute(x, baselines="shuffle", n_shuffles=3,
                                                    target=1)
    b = GenomicIntegratedGradients(nlc_model, layout="NLC").attribute(
        x.transpose(1, 2), baselines="shuffle", n_shuffles=3, target=1)
    assert b.shape == (2, 20, 4)
    torch.testing.assert_close(a, b.transpose(1, 2))
    c = GenomicIntegratedGradients(nlc_model, layout="NLC").attribute(
        x.transpose(1, 2), baselines="uniform", target=1, aggregate="sum")
    assert c.shape == (2, 20)


def test_internal_batch_size_does_not_change_results():
    model = SmallCNN(3, 5).double().eval()
    x = random_one_hot(3, 25, 1)
    full = GenomicIntegratedGradients(model).attribute(x, baselines="shuffle", n_shuffles=5,
                                                       target=0, n_steps=10)
    for batch in (1, 4, 7, 1000):
        part = GenomicIntegratedGradients(model).attribute(
            x, baselines="shuffle", n_shuffles=5, target=0, n_steps=10,
            internal_batch_size=batch)
        torch.testing.assert_close(full, part, atol=1e-12, rtol=0)


def test_batch_size_bounds_model_calls():
    model = SmallCNN(3, 3).double().eval()
    sizes = []

    def spy(inp):
        sizes.append(inp.shape[0])
        return model(inp)

    x = random_one_hot(2, 12, 0)
    GenomicIntegratedGradients(spy).attribute(x, baselines="shuffle", n_shuffles=6, target=0,
                                              n_steps=8, internal_batch_size=5,
                                              return_convergence_delta=True)
    assert max(sizes) <= 5
    assert sum(sizes) == 2 * 6 * 8 + 2 + 2 * 6  # gradients, F(x), F(b_k)


def test_shuffle_baselines_reproducible_by_seed():
    model = SmallCNN(3, 3).double().eval()
    x = random_one_hot(1, 40, 0)
    ig = GenomicIntegratedGradients(model)
    a = ig.attribute(x, baselines="shuffle", n_shuffles=4, seed=5, target=0)
    b = ig.attribute(x, baselines="shuffle", n_shuffles=4, seed=5, target=0)
    c = ig.attribute(x, baselines="shuffle", n_shuffles=4, seed=6, target=0)
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    assert not torch.equal(a, c)


def test_shuffle_attributions_of_a_sequence_do_not_depend_on_the_batch():
    model = SmallCNN(3, 3).double().eval()
    x = random_one_hot(3, 30, 2)
    ig = GenomicIntegratedGradients(model)
    batch = ig.attribute(x, baselines="shuffle", n_shuffles=4, seed=5, target=0)
    alone = ig.attribute(x[2:], baselines="shuffle", n_shuffles=4, seed=5, target=0)
    torch.testing.assert_close(alone, batch[2:], atol=1e-12, rtol=0)


def test_multi_reference_tensor_equals_average_of_single_runs():
    model = SmallCNN(3, 3).double().eval()
    x = random_one_hot(2, 15, 0)
    refs = torch.stack([random_one_hot(2, 15, s) for s in (1, 2, 3)], dim=1)  # (N, K, 4, L)
    ig = GenomicIntegratedGradients(model)
    expected = torch.stack([ig.attribute(x, baselines=refs[:, j], target=1)
                            for j in range(3)]).mean(dim=0)
    torch.testing.assert_close(ig.attribute(x, baselines=refs, target=1), expected)


def test_additional_forward_args_and_per_example_targets():
    model = SmallCNN(3, 3, n_out=3).double().eval()

    def scaled(inp, scale, offset):
        return model(inp) * scale[:, None] + offset

    x = random_one_hot(3, 14, 0)
    scale = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    target = torch.tensor([0, 2, 1])
    ig = GenomicIntegratedGradients(scaled)
    attr, delta = ig.attribute(x, baselines="shuffle", n_shuffles=2, target=target,
                               additional_forward_args=(scale, 3.0),
                               return_convergence_delta=True, internal_batch_size=4)
    for i in range(3):
        single = ig.attribute(x[i:i + 1], baselines="shuffle", n_shuffles=2,
                              target=int(target[i]), additional_forward_args=(scale[i:i + 1], 3.0))
        assert not torch.allclose(single, torch.zeros_like(single))
    assert torch.all(delta.abs() < 1e-4)
    listed = ig.attribute(x, baselines="uniform", target=[0, 2, 1],
                          additional_forward_args=(scale, 3.0))
    tensor = ig.attribute(x, baselines="uniform", target=target,
                          additional_forward_args=(scale, 3.0))
    torch.testing.assert_close(listed, tensor)


def test_tuple_target_on_positional_output():
    """SpliceAI-like output (N, 3, L): target=(class, position) picks one scalar."""
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(4, 3, 5, padding=2).double()
    x = random_one_hot(2, 30, 0)
    ig = GenomicIntegratedGradients(conv)
    attr, delta = ig.attribute(x, baselines="uniform", target=(1, 12),
                               return_convergence_delta=True)
    assert torch.all(delta.abs() < 1e-10)
    # a linear model's receptive field: only positions 10..14 matter
    assert torch.all(attr[:, :, :10] == 0) and torch.all(attr[:, :, 15:] == 0)


def test_noise_tunnel_with_zero_noise_equals_attribute():
    """NoiseTunnel validates baselines itself: numbers and (N, 4, L) tensors pass through,
    and leaving baselines out gives our default (uniform 0.25)."""
    model = SmallCNN(3, 3).double().eval()
    x = random_one_hot(2, 16, 0)
    ig = GenomicIntegratedGradients(model)
    plain = ig.attribute(x, baselines="uniform", target=0)
    tunneled = NoiseTunnel(ig).attribute(x, nt_type="smoothgrad", nt_samples=3, stdevs=0.0,
                                         target=0)
    torch.testing.assert_close(tunneled, plain)
    numeric = NoiseTunnel(ig).attribute(x, nt_type="smoothgrad", nt_samples=2, stdevs=0.0,
                                        baselines=0.25, target=0)
    torch.testing.assert_close(numeric, plain)
    refs = random_one_hot(2, 16, 5)
    with_tensor = NoiseTunnel(ig).attribute(x, nt_type="smoothgrad", nt_samples=2, stdevs=0.0,
                                            baselines=refs, target=0, nt_samples_batch_size=1)
    torch.testing.assert_close(with_tensor, ig.attribute(x, baselines=refs, target=0))
    noisy = NoiseTunnel(ig).attribute(x, nt_type="smoothgrad_sq", nt_samples=4, stdevs=0.1,
                                      target=0, nt_samples_batch_size=2)
    assert noisy.shape == x.shape and torch.isfinite(noisy).all()
    assert not torch.allclose(noisy, plain)


def test_captum_metrics_accept_our_explainer():
    model = SmallCNN(3, 3).double().eval()
    x = random_one_hot(2, 16, 0)
    ig = GenomicIntegratedGradients(model)
    attr = ig.attribute(x, baselines="uniform", target=0)

    def perturb(inputs):
        noise = torch.randn_like(inputs) * 0.05
        return noise, inputs - noise

    infid = infidelity(model, perturb, x, attr, target=0, n_perturb_samples=4)
    sens = sensitivity_max(ig.attribute, x, target=0, n_perturb_samples=3, baselines=0.25)
    assert infid.shape == (2,) and torch.isfinite(infid).all()
    assert sens.shape == (2,) and torch.isfinite(sens).all()


def test_attribute_is_log_usage_wrapped():
    assert hasattr(GenomicIntegratedGradients.attribute, "__wrapped__")


def test_real_strings_end_to_end():
    """float32 one-hot text, shuffled references: Captum's IG averaged over the references,
    and complete up to the quadrature's error."""
    model = SmallCNN(4, 5).eval()
    x = one_hot(["ACGTTGCAAC" * 6, "GGGCCCATAT" * 6])
    attr, delta = GenomicIntegratedGradients(model).attribute(
        x, baselines="shuffle", n_shuffles=5, target=1, return_convergence_delta=True)
    assert attr.dtype == torch.float32 and attr.shape == (2, 4, 60)
    refs = make_baselines("shuffle", x, n_shuffles=5)
    captum = torch.stack([IntegratedGradients(model).attribute(x, baselines=refs[:, k], target=1)
                          for k in range(5)]).mean(dim=0)
    assert captum.abs().max() > 1e-3
    torch.testing.assert_close(attr, captum, atol=1e-8, rtol=1e-5)
    expected = model(x)[:, 1] - torch.stack([model(refs[:, k])[:, 1] for k in range(5)]).mean(0)
    torch.testing.assert_close(attr.sum(dim=(1, 2)), expected.detach(), atol=1e-6, rtol=0)
    assert torch.all(delta.abs() < 1e-6)


@pytest.mark.parametrize("bad, match", [
    (dict(aggregate="mean"), "aggregate"),
    (dict(n_steps=0), "n_steps"),
    (dict(baselines="gc"), "unknown baseline"),
    (dict(baselines=torch.zeros(3, 4, 7)), "do not match"),
    (dict(target=None), "one"),
    (dict(target=[0, 1, 0]), "one entry per example"),
    (dict(internal_batch_size=0), "internal_batch_size"),
    (dict(layout="LNC"), "layout"),
    (dict(method="simpson"), "unknown method"),
    (dict(method="adaptive_simpson"), "completeness_tol"),
    (dict(completeness_tol=1e-3, method="gausslegendre"), "nested"),
    (dict(completeness_tol=0.0), "completeness_tol"),
    (dict(completeness_tol=1e-3, n_steps=2), "n_steps >= 3"),
    (dict(checkpoint_segments=0), "checkpoint_segments"),
])
def test_bad_arguments_are_named(bad, match):
    model = SmallCNN(3, 3).double().eval()
    x = random_one_hot(2, 10, 0)
    kwargs = dict(baselines="uniform", target=0)
    kwargs.update(bad)
    with pytest.raises((ValueError, TypeError), match=match):
        GenomicIntegratedGradients(model).attribute(x, **kwargs)


def test_nan_model_and_tuple_inputs_are_refused():
    x = random_one_hot(1, 10, 0)
    with pytest.raises(ValueError, match="NaN"):
        GenomicIntegratedGradients(lambda inp: inp.sum((1, 2)) * float("nan")).attribute(x)
    with pytest.raises(TypeError, match="additional_forward_args"):
        GenomicIntegratedGradients(lambda inp: inp.sum((1, 2))).attribute((x, x))
    single = GenomicIntegratedGradients(lambda inp: inp.sum((1, 2))).attribute((x,))
    assert isinstance(single, tuple) and single[0].shape == x.shape
    with pytest.raises(ValueError, match="NLC"):
        GenomicIntegratedGradients(lambda inp: inp.sum((1, 2))).attribute(x.transpose(1, 2))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_matches_cpu():
    model = SmallCNN(3, 3).eval()
    x = random_one_hot(2, 20, 0, dtype=torch.float32)
    cpu = GenomicIntegratedGradients(model).attribute(x, baselines="shuffle", target=0,
                                                      n_shuffles=3)
    gpu = GenomicIntegratedGradients(model.cuda()).attribute(x.cuda(), baselines="shuffle",
                                                             target=0, n_shuffles=3)
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(cpu, gpu.cpu(), atol=1e-5, rtol=1e-4)


# ---------------------------------------------------------------- adaptive steps


class Spy(torch.nn.Module):
    """Records every batch the explainer sends to the model."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.batches = []

    def forward(self, inp):
        self.batches.append(inp.detach().clone())
        return self.model(inp)


def path_positions(points: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """alpha of points b + alpha (x - b) on the path from the uniform baseline to x[0]."""
    base = int(x[0, :, 0].argmax())
    return (points[:, base, 0] - 0.25) / 0.75


def simpson_attribution(model, x, alphas, target):
    """Composite Simpson IG of x[0:1] from the uniform baseline on sorted points whose odd
    entries are the centres of the panels their even neighbours bound."""
    left, mid, right = alphas[:-2:2], alphas[1::2], alphas[2::2]
    torch.testing.assert_close(mid, (left + right) / 2, atol=1e-15, rtol=0)
    width = right - left
    w = torch.zeros_like(alphas)
    w[:-2:2] += width / 6
    w[2::2] += width / 6
    w[1::2] = 4 * width / 6
    b = torch.full_like(x, 0.25)
    pts = (b + alphas.view(-1, 1, 1) * (x - b)).requires_grad_(True)
    (g,) = torch.autograd.grad(model(pts)[:, target].sum(), pts)
    return (x - b) * (w.view(-1, 1, 1) * g).sum(dim=0, keepdim=True)


@settings(max_examples=8, deadline=None)
@given(model=models, seed=st.integers(0, 1000), tol=st.sampled_from([1e-3, 1e-5, 1e-7]))
def test_adaptive_rule_is_simpson_on_its_own_points(model, seed, tol):
    x = random_one_hot(1, 20, seed)
    spy = Spy(model)
    ig = GenomicIntegratedGradients(spy)
    attr, delta = ig.attribute(x, target=1, completeness_tol=tol, n_steps=200,
                               return_convergence_delta=True)
    alphas = path_positions(torch.cat(spy.batches), x)
    # every point evaluated once, both ends included, and counted
    assert len(alphas) == int(ig.last_n_steps) == len(torch.unique(alphas))
    alphas = torch.sort(alphas).values
    assert alphas[0] == 0 and alphas[-1] == 1
    assert abs(float(delta)) <= tol
    expected = simpson_attribution(model, x, alphas, 1)
    torch.testing.assert_close(attr, expected, atol=1e-12, rtol=0)
    f = model(torch.cat([x, torch.full_like(x, 0.25)]))[:, 1]
    torch.testing.assert_close(attr.sum() - (f[0] - f[1]), delta[0], atol=1e-12, rtol=0)


@settings(max_examples=6, deadline=None)
@given(model=models, seed=st.integers(0, 1000), kind=st.sampled_from(["uniform", "shuffle"]),
       batch=st.sampled_from([None, 1, 5]))
def test_adaptive_meets_the_tolerance_for_every_pair_and_any_batch(model, seed, kind, batch):
    x = random_one_hot(2, 16, seed)
    spy = Spy(model)
    ig = GenomicIntegratedGradients(spy)
    attr, delta = ig.attribute(x, baselines=kind, n_shuffles=3, seed=seed, target=0,
                               completeness_tol=1e-6, n_steps=300, internal_batch_size=batch,
                               return_convergence_delta=True)
    assert torch.all(delta.abs() <= 1e-6)
    assert ig.last_n_steps.shape == (2, 3 if kind == "shuffle" else 1)
    assert sum(len(b) for b in spy.batches) == int(ig.last_n_steps.sum())
    if batch is not None:
        assert max(len(b) for b in spy.batches) <= batch
    whole = GenomicIntegratedGradients(model).attribute(
        x, baselines=kind, n_shuffles=3, seed=seed, target=0, completeness_tol=1e-6,
        n_steps=300)
    torch.testing.assert_close(attr, whole, atol=1e-12, rtol=0)


class SharpSwitch(torch.nn.Module):
    """Output 0: a sigmoid that switches sharply at alpha0 on the path from 0.25 to x, plus
    exp(2 alpha) (whose slope differs at the two ends); output 1: alpha itself."""

    def __init__(self, x, alpha0: float, sharpness: float, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.w = torch.randn(x.shape[1:], dtype=x.dtype)
        self.offset = float((self.w * 0.25).sum())
        self.along = float((self.w * (x[0] - 0.25)).sum())
        self.alpha0, self.sharpness = alpha0, sharpness

    def forward(self, inp):
        alpha = ((inp * self.w).sum(dim=(1, 2)) - self.offset) / self.along
        switch = torch.sigmoid(self.sharpness * (alpha - self.alpha0))
        return torch.stack([switch + torch.exp(2 * alpha), alpha], dim=1)


@pytest.mark.parametrize("alpha0", [0.3, 0.71])
def test_adaptive_refinement_spends_fewer_points_than_uniform_doubling(alpha0):
    x = random_one_hot(1, 30, 4)
    model = SharpSwitch(x, alpha0, sharpness=60.0)
    ig = GenomicIntegratedGradients(model)
    kwargs = dict(target=0, completeness_tol=1e-5, n_steps=2049, return_convergence_delta=True)
    _, d_adaptive = ig.attribute(x, **kwargs)
    adaptive = int(ig.last_n_steps)
    _, d_uniform = ig.attribute(x, method="riemann_trapezoid", **kwargs)
    uniform = int(ig.last_n_steps)
    assert abs(float(d_adaptive)) <= 1e-5 and abs(float(d_uniform)) <= 1e-5
    assert adaptive < uniform / 2


def test_uniform_doubling_is_the_textbook_trapezoid():
    """Nested riemann_trapezoid stops on 2**j + 1 points; Captum's fixed rule of n steps
    weighs them by 1/n instead of 1/(n - 1)."""
    model = SmallCNN(4, 5).double().eval()
    x = random_one_hot(2, 30, 0)
    ig = GenomicIntegratedGradients(model)
    ours = ig.attribute(x, target=1, completeness_tol=1e-7, method="riemann_trapezoid",
                        n_steps=600)
    steps = ig.last_n_steps.flatten().tolist()
    assert all(((s - 1) & (s - 2)) == 0 and s >= 9 for s in steps)  # powers of two plus one
    for i, s in enumerate(steps):
        theirs = IntegratedGradients(model).attribute(
            x[i:i + 1], baselines=torch.full_like(x[i:i + 1], 0.25), target=1, n_steps=s,
            method="riemann_trapezoid")
        # Captum rounds its step sizes to float32
        torch.testing.assert_close(ours[i:i + 1] * (s - 1) / s, theirs, atol=1e-12, rtol=1e-7)


def test_linear_model_stops_on_the_first_grid_and_a_budget_stops_with_a_warning():
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(4, 2, 3, padding=1).double()

    def linear(inp):
        return conv(inp).sum(dim=2)

    x = random_one_hot(2, 12, 0)
    ig = GenomicIntegratedGradients(linear)
    ig.attribute(x, target=0, completeness_tol=1e-9)
    assert torch.all(ig.last_n_steps == 9)
    ig.attribute(x, target=0, completeness_tol=1e-9, n_steps=3)
    assert torch.all(ig.last_n_steps == 3)
    sharp = SharpSwitch(x[:1], 0.5, sharpness=200.0)
    with pytest.warns(UserWarning, match="completeness_tol=1e-09 not reached"):
        GenomicIntegratedGradients(sharp).attribute(x[:1], target=0, completeness_tol=1e-9,
                                                    n_steps=20)


def test_fixed_rules_report_their_steps():
    model = SmallCNN(3, 3).double().eval()
    ig = GenomicIntegratedGradients(model)
    assert ig.last_n_steps is None
    ig.attribute(random_one_hot(2, 30, 0), baselines="shuffle", n_shuffles=2, target=0,
                 n_steps=7)
    assert ig.last_n_steps.tolist() == [[7, 7], [7, 7]]


@needs_spliceai
def test_spliceai_site_equals_captum_with_real_weights():
    """Same quadrature, same head: the attributions are Captum's (two ensemble members,
    the TUBB8 acceptor site's 10,001-nt receptive field)."""
    from captum_genomics.models import SpliceAIEnsemble, SpliceSiteHead, load_spliceai

    members = load_spliceai("spliceai").members[:2]
    head = SpliceSiteHead(SpliceAIEnsemble(list(members)), 5000, "acceptor")  # input position
    with np.load(SPLICEAI_FIXTURE) as data:
        text = str(data["tubb8_rc_15000/sequence"])[1859:1859 + 10_001]
    x = one_hot([text])
    ours = GenomicIntegratedGradients(head).attribute(x, target=0, n_steps=2,
                                                      internal_batch_size=1)
    theirs = IntegratedGradients(head).attribute(x, baselines=torch.full_like(x, 0.25),
                                                 target=0, n_steps=2)
    assert ours.abs().max() > 1e-3
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


@pytest.mark.parametrize("tol", [None, 1e-3])
def test_progress_bar_counts_path_points_and_changes_nothing(tol, capsys):
    model = SmallCNN(3, 3).double().eval()
    x = random_one_hot(2, 20, 4)
    kwargs = dict(baselines="shuffle", n_shuffles=2, target=0, n_steps=17, internal_batch_size=5,
                  completeness_tol=tol)
    ig = GenomicIntegratedGradients(model)
    quiet = ig.attribute(x, **kwargs)
    assert capsys.readouterr().err == ""
    shown = ig.attribute(x, show_progress=True, **kwargs)
    bar = capsys.readouterr().err
    points = int(ig.last_n_steps.sum())
    assert "IG path points" in bar and f"{points}/{points}" in bar
    torch.testing.assert_close(shown, quiet, atol=0, rtol=0)


class DropoutCNN(SmallCNN):
    """SmallCNN with dropout on the pooled features: random in training mode."""

    def __init__(self):
        super().__init__(3, 3)
        self.dropout = torch.nn.Dropout(0.5)

    def forward(self, x):
        h = torch.nn.functional.softplus(self.conv(x))
        pooled = torch.cat([h.mean(dim=2), torch.logsumexp(h, dim=2)], dim=1)
        return self.head(self.dropout(pooled))


def test_a_model_in_training_mode_is_warned_about_and_eval_mode_is_not():
    model = DropoutCNN().double()
    x = random_one_hot(1, 20, 5)
    for forward_func in (model, model.forward):
        with pytest.warns(UserWarning, match=r"training mode .*; call model\.eval\(\)"):
            GenomicIntegratedGradients(forward_func).attribute(x, target=0, n_steps=4)
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = GenomicIntegratedGradients(model).attribute(x, target=0, n_steps=4)
    torch.testing.assert_close(
        GenomicIntegratedGradients(model).attribute(x, target=0, n_steps=4), first, atol=0, rtol=0
    )
