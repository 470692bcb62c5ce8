"""The layer-spec language of deepG-style CNNs (captum_genomics.models.deepg_spec)."""

from __future__ import annotations

import pytest

from captum_genomics.models.deepg import DeepGCNN
from captum_genomics.models.deepg_spec import (
    deepg_layer_specs,
    infer_shapes,
    normalise_layer_specs,
)


@pytest.mark.parametrize(
    ("specs", "match"),
    [
        ([{"type": "conv", "filters": 2, "kernel_size": 3}], "last layer spec"),
        ([{"type": "dense", "units": 2}], "put a 'flatten'"),
        ([{"type": "pool"}, {"type": "flatten"}, {"type": "dense", "units": 2}], "unknown type"),
        ([{"type": "flatten", "size": 3}, {"type": "dense", "units": 2}], "unknown key"),
        ([{"type": "conv", "filters": 2}, {"type": "flatten"}, {"type": "dense", "units": 2}],
         "needs 'kernel_size'"),
        ([{"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"},
          {"type": "dense", "units": 2}], "only supported on the output"),
        ([{"type": "flatten", "name": "a"}, {"type": "dense", "units": 2, "name": "a"}],
         "duplicate"),
    ],
)  # fmt: skip
def test_bad_layer_specs_raise(specs, match):
    with pytest.raises(ValueError, match=match):
        DeepGCNN.from_layer_specs(specs, 12)


def test_normalise_fills_defaults_and_canonical_names():
    specs = normalise_layer_specs(
        [
            {"type": "conv", "filters": 4, "kernel_size": 3, "activation": "swish"},
            {"type": "max_pool", "pool_size": 2},
            {"type": "global_max_pool"},
            {"type": "dense", "units": 2, "activation": None, "name": "out"},
        ]
    )
    assert specs[0] == {
        "type": "conv", "filters": 4, "kernel_size": 3, "strides": 1, "dilation": 1,
        "padding": "same", "activation": "silu", "use_bias": True,
    }  # fmt: skip
    assert specs[1]["strides"] == 2  # pool strides default to the pool size
    assert specs[3] == {
        "type": "dense", "units": 2, "activation": "linear", "use_bias": True, "name": "out"
    }  # fmt: skip


def test_infer_shapes_follows_the_study_network():
    shapes = infer_shapes(normalise_layer_specs(deepg_layer_specs()), 600)
    assert shapes[0] == (4, 600)
    assert shapes[-3:] == [(128, 22), (2816,), (2,)]
    assert infer_shapes(normalise_layer_specs(deepg_layer_specs(head="global_max")), None)[
        -2:
    ] == [(128,), (2,)]
    with pytest.raises(ValueError, match="too short"):
        infer_shapes(normalise_layer_specs(deepg_layer_specs()), 20)
