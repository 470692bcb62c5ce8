"""Names that moved out of models/weights.py and models/deepg.py still import, with a warning."""

from __future__ import annotations

import importlib
import warnings

import pytest

WEIGHTS_NAMES = [
    "CISPLICEAI_INSTALL",
    "SPLICEAI_INSTALL",
    "find_spliceai_weights",
    "load_spliceai",
    "load_spliceai_frozen_graph",
    "load_spliceai_h5",
    "load_spliceai_state_dict",
]
DEEPG_NAMES = {
    "HEADS": "deepg_spec",
    "LAYER_TYPES": "deepg_spec",
    "deepg_layer_specs": "deepg_spec",
    "load_keras_deepg": "deepg_keras",
}


@pytest.mark.parametrize(
    ("old_module", "name", "new_module"),
    [("weights", name, "spliceai_weights") for name in WEIGHTS_NAMES]
    + [("deepg", name, new) for name, new in DEEPG_NAMES.items()],
)
def test_old_paths_forward_with_a_deprecation_warning(old_module, name, new_module):
    old = importlib.import_module(f"captum_genomics.models.{old_module}")
    new = importlib.import_module(f"captum_genomics.models.{new_module}")
    with pytest.warns(DeprecationWarning, match=rf"models\.{new_module}\.{name}"):
        value = getattr(old, name)
    assert value is getattr(new, name)


def test_deepg_keeps_its_own_names_without_warning():
    deepg = importlib.import_module("captum_genomics.models.deepg")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert deepg.DeepGCNN.__module__ == "captum_genomics.models.deepg"
        assert deepg.OUTPUT_MODES == ("logits", "probabilities")
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        deepg.nothing  # noqa: B018
