"""Tests of the SpliceAI architecture (captum_genomics.models.spliceai)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from captum_genomics.models.spliceai import SPLICEAI_CONTEXTS, SpliceAI, SpliceAIEnsemble
from tests.support import needs_cispliceai, needs_spliceai, random_spliceai

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "spliceai_reference_outputs.npz"
INPUTS = ("tubb8_rc_15000", "random_10537", "npad_15000")


def random_one_hot(n: int, length: int, seed: int = 0, n_fraction: float = 0.05) -> torch.Tensor:
    """(n, 4, length) one-hot DNA with a few all-zero (N) columns."""
    gen = np.random.default_rng(seed)
    idx = gen.integers(0, 4, size=(n, length))
    x = np.eye(4, dtype=np.float32)[idx]
    x[gen.random((n, length)) < n_fraction] = 0
    return torch.from_numpy(x.transpose(0, 2, 1).copy())


def keras_reference(model: SpliceAI, x: torch.Tensor) -> torch.Tensor:
    """The Keras computation: 'same'-padded convolutions, crop context / 2 at the end."""
    h = F.conv1d(x, model.conv_in.weight, model.conv_in.bias)
    skip = F.conv1d(h, model.skip_in.weight, model.skip_in.bias)
    for i, unit in enumerate(model.units):
        pad = unit.dilation * (unit.kernel_size - 1) // 2
        y = h
        for bn, conv in ((unit.bn1, unit.conv1), (unit.bn2, unit.conv2)):
            y = F.batch_norm(y, bn.running_mean, bn.running_var, bn.weight, bn.bias, eps=1e-3)
            y = F.conv1d(F.relu(y), conv.weight, conv.bias, padding=pad, dilation=unit.dilation)
        h = h + y
        if (i + 1) % 4 == 0:
            skip = skip + F.conv1d(h, model.skips[i // 4].weight, model.skips[i // 4].bias)
    half = model.context // 2
    cropped = skip[..., half : skip.shape[-1] - half]
    return torch.softmax(F.conv1d(cropped, model.conv_out.weight, model.conv_out.bias), dim=1)


def one_hot_text(seq: str) -> torch.Tensor:
    """(1, 4, L) float32 one-hot of an A/C/G/T/N string, N all zero."""
    codes = np.frombuffer(seq.upper().encode(), np.uint8)
    x = np.stack([codes == ord(b) for b in "ACGT"]).astype(np.float32)
    return torch.from_numpy(x)[None]


# ---------------------------------------------------------------- architecture


@pytest.mark.parametrize("context", sorted(SPLICEAI_CONTEXTS))
def test_context_and_parameter_count(context):
    model = SpliceAI(context)
    widths = [u.kernel_size for u in model.units]
    dilations = [u.dilation for u in model.units]
    assert 2 * sum(d * (w - 1) for w, d in zip(widths, dilations)) == context
    if context == 10000:
        assert (
            sum(p.numel() for p in model.parameters())
            + sum(b.numel() for n, b in model.named_buffers() if "running" in n)
            == 698_787
        )
    assert all(bn.eps == 1e-3 for bn in model.modules() if isinstance(bn, torch.nn.BatchNorm1d))


@settings(max_examples=8, deadline=None)
@given(
    context=st.sampled_from([80, 400]),
    length=st.integers(1, 60),
    batch=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_matches_padded_keras_computation(context, length, batch, seed):
    model = random_spliceai(context, seed, affine_sd=0.3)
    x = random_one_hot(batch, context + length, seed)
    with torch.no_grad():
        out = model(x)
        ref = keras_reference(model, x)
    assert out.shape == (batch, 3, length)
    torch.testing.assert_close(out, ref, atol=2e-6, rtol=0)
    torch.testing.assert_close(out.sum(dim=1), torch.ones(batch, length), atol=1e-6, rtol=0)


@pytest.mark.parametrize("context", [2000, 10000])
def test_matches_padded_keras_computation_long_contexts(context):
    model = random_spliceai(context, 3, affine_sd=0.3)
    x = random_one_hot(1, context + 30, 3)
    with torch.no_grad():
        torch.testing.assert_close(model(x), keras_reference(model, x), atol=2e-6, rtol=0)


@pytest.mark.parametrize("context", sorted(SPLICEAI_CONTEXTS))
def test_single_position_path_equals_full_output(context):
    # An input of exactly context + 1 takes the strided single-position path.
    model = random_spliceai(context, 1, affine_sd=0.3)
    length = 4
    x = random_one_hot(1, context + length, 1)
    with torch.no_grad():
        full = model.logits(x)
        singles = torch.cat([model.logits(x[..., i : i + context + 1]) for i in range(length)], 2)
    torch.testing.assert_close(singles, full, atol=2e-6, rtol=0)


@pytest.mark.parametrize("context", [80, 2000])
def test_no_grad_path_equals_the_module_path(context):
    # without autograd and hooks the forward runs channels-last with folded BatchNorm
    model = random_spliceai(context, 3, affine_sd=0.3)
    x = random_one_hot(3, context + 37, 3)
    module_path = model(x).detach()
    with torch.no_grad():
        fast = model(x)
    torch.testing.assert_close(fast, module_path, atol=1e-6, rtol=0)
    assert not torch.equal(fast, torch.zeros_like(fast))


def test_no_grad_path_keeps_forward_hooks_firing():
    model = random_spliceai(80, 4, affine_sd=0.3)
    seen = []
    handle = model.units[1].act2.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    with torch.no_grad():
        model(random_one_hot(2, 90, 4))
    handle.remove()
    assert seen == [torch.Size([2, 32, 90 - 20 - 10])]  # after unit 0 and one convolution


@settings(max_examples=10, deadline=None)
@given(position=st.integers(0, 19), seed=st.integers(0, 2**16))
def test_output_depends_only_on_its_receptive_field(position, seed):
    model = random_spliceai(80, seed, affine_sd=0.3)
    x = random_one_hot(1, 100, seed)
    y = random_one_hot(1, 100, seed + 1)
    inside = torch.zeros(100, dtype=torch.bool)
    inside[position : position + 81] = True
    mixed = torch.where(inside, x, y)  # same window, different bases outside it
    with torch.no_grad():
        a = model(x)[..., position]
        b = model(mixed)[..., position]
    torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_gradient_support_is_the_receptive_field():
    model = random_spliceai(400, 2, affine_sd=0.3)
    x = random_one_hot(1, 450, 2).requires_grad_(True)
    position = 17
    model.logits(x)[0, 1, position].backward()
    support = x.grad[0].abs().sum(dim=0) > 0
    assert not support[:position].any() and not support[position + 401 :].any()
    assert support[position] and support[position + 400]


def test_softmax_of_logits_is_forward():
    model = random_spliceai(80, 4, affine_sd=0.3)
    x = random_one_hot(2, 100, 4)
    with torch.no_grad():
        torch.testing.assert_close(torch.softmax(model.logits(x), 1), model(x))


class _SiteLogit(torch.nn.Module):
    """Acceptor logit of one output position, as a module Captum's DeepLift can hook."""

    def __init__(self, model: SpliceAI, position: int):
        super().__init__()
        self.model = model
        self.position = position

    def forward(self, x):
        return self.model.logits(x)[:, 1, self.position]


@pytest.mark.filterwarnings("ignore:Setting forward, backward hooks:UserWarning")
@pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require:UserWarning")
@pytest.mark.parametrize("method", ["DeepLift", "DeepLiftShap"])
def test_captum_deeplift_is_complete_on_a_site_logit(method):
    # ReLUs are modules (one per use), so DeepLift's rescale rule reaches every
    # nonlinearity and attributions sum to the logit difference (functional ReLUs missed
    # it by ~1e-2 here).
    import captum.attr

    site = _SiteLogit(random_spliceai(80, seed=3).double(), 40)
    codes = torch.randint(0, 4, (2, 161), generator=torch.Generator().manual_seed(1))
    x = F.one_hot(codes, 4).transpose(1, 2).double()
    n_refs = 1 if method == "DeepLift" else 3
    baselines = torch.full((n_refs, 4, 161), 0.25, dtype=torch.float64)
    if method == "DeepLift":
        baselines = baselines.expand_as(x)
    attributions, delta = getattr(captum.attr, method)(site).attribute(
        x, baselines=baselines, return_convergence_delta=True
    )
    assert delta.abs().max() < 1e-10
    expected = site(x) - site(torch.full_like(x, 0.25))
    torch.testing.assert_close(attributions.sum(dim=(1, 2)), expected, atol=1e-10, rtol=0)


def test_boolean_input_is_cast_to_the_model_dtype():
    model = random_spliceai(80, 5, affine_sd=0.3)
    x = random_one_hot(1, 90, 5)
    with torch.no_grad():
        torch.testing.assert_close(model(x.bool()), model(x), atol=0, rtol=0)


@pytest.mark.parametrize(("context", "length"),
                         [(400, 1), (400, 5), (400, 300), (2000, 1), (10000, 1)])
def test_macs_counts_the_convolutions_run(context, length):
    model = random_spliceai(context, 6, affine_sd=0.3)
    x = random_one_hot(1, context + length, 6)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    assert 2 * model.macs(length) == counter.get_total_flops()


def test_macs_of_single_position_is_below_dense_valid_cost():
    model = SpliceAI(10000)
    dense_one = model.macs(2) - (model.macs(3) - model.macs(2))  # linear in L for L > 1
    assert model.macs(1) < dense_one / 2


def test_ensemble_averages_member_probabilities():
    members = [random_spliceai(80, s, affine_sd=0.3) for s in (7, 8, 9)]
    ensemble = SpliceAIEnsemble(members)
    x = random_one_hot(2, 95, 7)
    with torch.no_grad():
        mean = torch.stack([m(x) for m in members]).mean(0)
        torch.testing.assert_close(ensemble(x), mean, atol=1e-7, rtol=0)
        torch.testing.assert_close(torch.softmax(ensemble.logits(x), 1), mean, atol=1e-6, rtol=0)
    assert ensemble.macs(15) == sum(m.macs(15) for m in members)


def test_ensemble_rejects_mixed_contexts_and_empty():
    with pytest.raises(ValueError, match="share one context"):
        SpliceAIEnsemble([SpliceAI(80), SpliceAI(400)])
    with pytest.raises(ValueError, match="at least one"):
        SpliceAIEnsemble([])
    with pytest.raises(TypeError, match="SpliceAI modules"):
        SpliceAIEnsemble([torch.nn.Linear(2, 2)])


# ---------------------------------------------------------------- validation


def test_rejects_unknown_context():
    with pytest.raises(ValueError, match="80, 400, 2000, 10000"):
        SpliceAI(5000)


def test_rejects_bad_shapes_with_fixes():
    model = SpliceAI(80).eval()
    with pytest.raises(ValueError, match="channels-last"):
        model(torch.zeros(1, 100, 4))
    with pytest.raises(ValueError, match=r"\(N, 4, L \+ 80\)"):
        model(torch.zeros(4, 100))
    with pytest.raises(ValueError, match="at least 81"):
        model(torch.zeros(1, 4, 80))
    with pytest.raises(TypeError, match="float64"):
        model(torch.zeros(1, 4, 81, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="model.to"):
        model(torch.zeros(1, 4, 81, device="meta"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    model = random_spliceai(400, 10, affine_sd=0.3)
    x = random_one_hot(2, 420, 10)
    with torch.no_grad():
        cpu = model(x)
        gpu = model.to("cuda")(x.to("cuda"))
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-5, rtol=0)


# ---------------------------------------------------------------- published weights


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURE) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def spliceai_outputs(reference):
    from captum_genomics.models.spliceai_weights import load_spliceai

    ensemble = load_spliceai("spliceai")
    out = {}
    with torch.no_grad():
        for name in INPUTS:
            x = one_hot_text(str(reference[f"{name}/sequence"]))
            out[name] = [m(x)[0].T.numpy() for m in ensemble.members]
    return out


@needs_spliceai
@pytest.mark.weights
@pytest.mark.parametrize("name", INPUTS)
def test_spliceai_members_and_ensemble_match_keras(reference, spliceai_outputs, name):
    members = spliceai_outputs[name]
    assert len(members) == 5
    for k, prob in enumerate(members, 1):
        expected = reference[f"{name}/spliceai{k}/prob"]
        assert prob.shape == expected.shape
        np.testing.assert_allclose(prob, expected, atol=1e-5, rtol=0)
    keras_mean = np.mean([reference[f"{name}/spliceai{k}/prob"] for k in range(1, 6)], axis=0)
    np.testing.assert_allclose(np.mean(members, axis=0), keras_mean, atol=1e-5, rtol=0)


@needs_cispliceai
@pytest.mark.weights
def test_cispliceai_ensemble_matches_tensorflow(reference):
    from captum_genomics.models.spliceai_weights import load_spliceai

    ensemble = load_spliceai("cispliceai")
    assert isinstance(ensemble, SpliceAIEnsemble) and len(ensemble.members) == 5
    with torch.no_grad():
        for name in INPUTS:
            x = one_hot_text(str(reference[f"{name}/sequence"]))
            prob = ensemble(x)[0].T.numpy()
            expected = reference[f"{name}/cispliceai_ensemble/prob"]
            np.testing.assert_allclose(prob, expected, atol=1e-5, rtol=0)


@needs_spliceai
@pytest.mark.weights
def test_tubb8_annotated_sites_are_the_top_peaks(spliceai_outputs):
    # Output row i is chr10 position 96711 - i (data README); TUBB8 is on the minus strand.
    row = {pos: 96711 - pos for pos in (94852, 94744, 94665, 94555, 94054)}
    prob = np.mean(spliceai_outputs["tubb8_rc_15000"], axis=0)
    top_acceptors = np.argsort(-prob[:, 1])
    top_donors = np.argsort(-prob[:, 2])
    # Internal exons 94744-94852 and 94555-94665: their sites are the two strongest peaks.
    assert set(top_acceptors[:2]) == {row[94852], row[94665]}
    assert set(top_donors[:2]) == {row[94744], row[94555]}
    # The last exon's acceptor (94054) completes the top three acceptors.
    assert set(top_acceptors[:3]) == {row[94852], row[94665], row[94054]}
    assert prob[[row[94852], row[94665]], 1].min() > 0.9
    assert prob[[row[94744], row[94555]], 2].min() > 0.9
