from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from captum_genomics.models.deepg import DeepGCNN
from captum_genomics.models.deepg_spec import deepg_layer_specs


def _one_hot(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, 4, (n, length), generator=g)
    return torch.nn.functional.one_hot(codes, 4).permute(0, 2, 1).float()


def _randomise_bn(model: torch.nn.Module, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=g))
            module.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            module.weight.data.copy_(torch.rand(c, generator=g) + 0.5)
            module.bias.data.copy_(torch.randn(c, generator=g))


def test_default_is_the_study_network():
    model = DeepGCNN()
    trainable = sum(p.numel() for p in model.parameters())
    moving = sum(b.numel() for n, b in model.named_buffers() if "running" in n)
    assert trainable == 95_010
    assert trainable + moving == 95_458  # Keras's count, "~95.5k"
    assert model.body.dense1.in_features == 22 * 128
    kinds = [s["type"] for s in model.layer_specs]
    assert kinds == [
        "conv", "max_pool", "batch_norm",
        "conv", "batch_norm", "max_pool",
        "conv", "batch_norm", "max_pool",
        "flatten", "dense",
    ]  # fmt: skip
    convs = [s for s in model.layer_specs if s["type"] == "conv"]
    assert [(c["filters"], c["kernel_size"]) for c in convs] == [(32, 5), (64, 7), (128, 9)]
    assert all(c["activation"] == "relu" and c["padding"] == "same" for c in convs)
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert all(bn.eps == 1e-3 and bn.momentum == 0.01 for bn in bns)
    assert model.output_activation == "softmax" and model.n_classes == 2
    assert model(_one_hot(3, 600)).shape == (3, 2)


@st.composite
def networks(draw):
    n_blocks = draw(st.integers(1, 3))
    head = draw(st.sampled_from(["flatten", "global_average", "global_max", "lstm"]))
    return {
        "filters": draw(st.lists(st.integers(1, 6), min_size=n_blocks, max_size=n_blocks)),
        "kernel_sizes": draw(st.lists(st.integers(1, 6), min_size=n_blocks, max_size=n_blocks)),
        "pool_sizes": draw(st.lists(st.integers(1, 3), min_size=n_blocks, max_size=n_blocks)),
        "strides": draw(st.integers(1, 2)),
        "padding": draw(st.sampled_from(["same", "valid"])),
        "head": head,
        "lstm_units": draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
        if head == "lstm"
        else (),
        "dense_units": draw(st.lists(st.integers(1, 5), max_size=2)),
        "n_classes": draw(st.integers(1, 3)),
    }


@settings(max_examples=25, deadline=None)
@given(networks(), st.integers(0, 2**16))
def test_ncl_and_nlc_layouts_agree(cfg, seed):
    length = 400  # long enough for three stride-2 blocks with pools of 3
    torch.manual_seed(seed)
    ncl = DeepGCNN(length, layout="NCL", **cfg).eval()
    nlc = DeepGCNN(length, layout="NLC", **cfg).eval()
    _randomise_bn(ncl, seed)
    nlc.load_state_dict(ncl.state_dict())
    x = _one_hot(3, length, seed)
    out = ncl(x)
    assert out.shape == (3, cfg["n_classes"])
    torch.testing.assert_close(nlc(x.permute(0, 2, 1)), out, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(nlc(x.permute(0, 2, 1).contiguous()), out, rtol=1e-5, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.integers(1, 9), st.integers(1, 3), st.integers(20, 90))
def test_same_padding_keeps_ceil_length_over_stride(stride, kernel, dilation, length):
    specs = [
        {"type": "conv", "filters": 2, "kernel_size": kernel, "strides": stride,
         "dilation": dilation, "padding": "same"},
        {"type": "flatten"},
        {"type": "dense", "units": 2},
    ]  # fmt: skip
    model = DeepGCNN.from_layer_specs(specs, length)
    features = model.body[:-1](_one_hot(2, length))
    assert features.shape == (2, 2 * -(-length // stride))


def test_batch_norm_eval_and_train_semantics():
    specs = [{"type": "batch_norm"}, {"type": "flatten"}, {"type": "dense", "units": 2}]
    model = DeepGCNN.from_layer_specs(specs, 10)
    bn = model.body.batch_norm1
    _randomise_bn(model, 1)
    x = torch.rand(6, 4, 10)
    model.eval()
    expected = (x - bn.running_mean[:, None]) / torch.sqrt(bn.running_var[:, None] + 1e-3)
    expected = expected * bn.weight[:, None] + bn.bias[:, None]
    torch.testing.assert_close(bn(x), expected)
    # Eval: each sequence is scored independently of the batch.
    torch.testing.assert_close(model(x)[2:3], model(x[2:3]))
    # Train: moving statistics move by Keras momentum 0.99 (PyTorch 0.01).
    old_mean, old_var = bn.running_mean.clone(), bn.running_var.clone()
    model.train()
    model(x)
    batch_mean = x.mean(dim=(0, 2))
    batch_var = x.var(dim=(0, 2), unbiased=True)
    torch.testing.assert_close(bn.running_mean, 0.99 * old_mean + 0.01 * batch_mean)
    torch.testing.assert_close(bn.running_var, 0.99 * old_var + 0.01 * batch_var)


def test_output_modes():
    torch.manual_seed(0)
    model = DeepGCNN(60, (4,), (5,), (2,)).eval()
    x = _one_hot(5, 60)
    logits = model(x)
    model.output = "probabilities"
    torch.testing.assert_close(model(x), torch.softmax(logits, dim=-1))
    binary = DeepGCNN(60, (4,), (5,), (2,), n_classes=1, output="probabilities").eval()
    assert binary.output_activation == "sigmoid"
    binary.output = "logits"
    z = binary(x)
    binary.output = "probabilities"
    torch.testing.assert_close(binary(x), torch.sigmoid(z))
    with pytest.raises(ValueError, match="output must be one of"):
        model.output = "softmax"
    linear = DeepGCNN.from_layer_specs([{"type": "flatten"}, {"type": "dense", "units": 2}], 8)
    with pytest.raises(ValueError, match="linear"):
        linear.output = "probabilities"


def test_any_length_heads():
    torch.manual_seed(0)
    model = DeepGCNN(None, head="global_average").eval()
    for length in (300, 2_000):
        assert model(_one_hot(1, length)).shape == (1, 2)
    lstm = DeepGCNN(100, (4, 4), (3, 3), (2, 2), head="lstm", lstm_units=(3, 2)).eval()
    with pytest.raises(ValueError, match="set model.input_length = None"):
        lstm(_one_hot(1, 120))
    lstm.input_length = None
    assert lstm(_one_hot(2, 120)).shape == (2, 2)
    flat = DeepGCNN(100, (4,), (3,), (2,))
    with pytest.raises(ValueError, match="flatten head"):
        flat.input_length = None
    with pytest.raises(ValueError, match="length 99 but the model takes 100$"):
        flat(_one_hot(1, 99))


def test_gradients_and_integrated_gradients_completeness():
    from captum.attr import IntegratedGradients

    torch.manual_seed(0)
    model = DeepGCNN(90, (4, 6), (5, 3), (3, 3), head="lstm", lstm_units=(3,)).eval()
    _randomise_bn(model)
    x = _one_hot(2, 90)
    baseline = torch.full_like(x, 0.25)
    ig = IntegratedGradients(model)
    attr, delta = ig.attribute(x, baseline, target=1, n_steps=64, return_convergence_delta=True)
    assert attr.shape == x.shape
    assert delta.abs().max() < 1e-3 * (1 + model(x)[:, 1].abs().max())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"head": "attention"}, "head must be one of"),
        ({"lstm_units": (4,)}, "needs head='lstm'"),
        ({"head": "lstm"}, "needs lstm_units"),
        ({"kernel_sizes": (5, 7)}, "kernel_sizes has 2 entries"),
        ({"filters": ()}, "at least one convolution"),
        ({"input_length": 20}, "too short"),
        ({"input_length": None}, "needs a fixed input_length"),
        ({"layout": "LNC"}, "layout must be one of"),
        ({"output": "probs"}, "output must be one of"),
        ({"n_classes": 0}, "n_classes"),
        ({"padding": "causal"}, "padding"),
        ({"activation": "gelu"}, "not supported"),
        ({"bn_momentum": 0.99, "bn_eps": 0}, "eps > 0"),
    ],
)
def test_bad_configs_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DeepGCNN(**kwargs)


def test_forward_rejects_bad_inputs():
    model = DeepGCNN(60, (4,), (5,), (2,))
    with pytest.raises(ValueError, match="3-D"):
        model(torch.zeros(4, 60))
    with pytest.raises(ValueError, match="layout='NLC'"):
        model(torch.zeros(2, 60, 4))


def test_layer_specs_round_trip():
    specs = deepg_layer_specs((8, 8), 3, 2, dense_units=(4,), dropout=0.1)
    torch.manual_seed(0)
    a = DeepGCNN(40, (8, 8), 3, 2, dense_units=(4,), dropout=0.1)
    torch.manual_seed(0)
    b = DeepGCNN.from_layer_specs(specs, 40)
    assert a.layer_specs == b.layer_specs
    x = _one_hot(2, 40)
    torch.testing.assert_close(a.eval()(x), b.eval()(x))
    assert [s["type"] for s in specs][-3:] == ["dense", "dropout", "dense"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    torch.manual_seed(0)
    model = DeepGCNN(120, head="lstm", lstm_units=(4,), pool_sizes=(2, 2, 2)).eval()
    x = _one_hot(3, 120)
    expected = model(x)
    model.cuda()
    torch.testing.assert_close(model(x.cuda()).cpu(), expected, rtol=1e-4, atol=1e-5)
    xg = x.cuda().requires_grad_()
    model(xg)[:, 1].sum().backward()
    assert xg.grad is not None and torch.isfinite(xg.grad).all()
