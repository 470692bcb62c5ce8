"""Models to explain: a PyTorch SpliceAI with published weights, and deepG-style CNNs.

The SpliceAI heads (``ExonHead``, ``SpliceSiteHead``, ``score_splice_sites``, ``SITE_CLASSES``)
live in :mod:`captum_genomics.splicing` and are served here too; they take input positions.
"""

import importlib

from captum_genomics.models.deepg import DeepGCNN
from captum_genomics.models.deepg_keras import load_keras_deepg
from captum_genomics.models.deepg_spec import deepg_layer_specs
from captum_genomics.models.spliceai import SPLICEAI_CONTEXTS, SpliceAI, SpliceAIEnsemble
from captum_genomics.models.spliceai_weights import (
    find_spliceai_weights,
    load_spliceai,
    load_spliceai_frozen_graph,
    load_spliceai_h5,
    load_spliceai_state_dict,
)
from captum_genomics.models.train import TrainingHistory, balanced_accuracy, predict, train_model

# Deprecated alias of train_model (removed in 0.3.0): importable, but kept out of __all__.
from captum_genomics.models.train import fit as fit  # isort: skip

__all__ = [
    "DeepGCNN",
    "ExonHead",
    "SITE_CLASSES",
    "SPLICEAI_CONTEXTS",
    "SpliceAI",
    "SpliceAIEnsemble",
    "SpliceSiteHead",
    "TrainingHistory",
    "balanced_accuracy",
    "deepg_layer_specs",
    "find_spliceai_weights",
    "load_keras_deepg",
    "load_spliceai",
    "load_spliceai_frozen_graph",
    "load_spliceai_h5",
    "load_spliceai_state_dict",
    "predict",
    "score_splice_sites",
    "train_model",
]

# The heads import this package's spliceai module, so they are served lazily.
_SPLICING = {
    "ExonHead": "captum_genomics.splicing.heads",
    "SITE_CLASSES": "captum_genomics.splicing.sites",
    "SpliceSiteHead": "captum_genomics.splicing.heads",
    "score_splice_sites": "captum_genomics.splicing.heads",
}


def __getattr__(name: str) -> object:
    if name in _SPLICING:
        return getattr(importlib.import_module(_SPLICING[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
