"""Models to explain: a PyTorch SpliceAI with published weights, and deepG-style CNNs."""

from captum_genomics.models.deepg import DeepGCNN, deepg_layer_specs, load_keras_deepg
from captum_genomics.models.heads import SITE_CLASSES, ExonHead, SpliceSiteHead, score_splice_sites
from captum_genomics.models.spliceai import SPLICEAI_CONTEXTS, SpliceAI, SpliceAIEnsemble
from captum_genomics.models.train import TrainingHistory, balanced_accuracy, fit, predict
from captum_genomics.models.weights import (
    find_spliceai_weights,
    load_spliceai,
    load_spliceai_frozen_graph,
    load_spliceai_h5,
    load_spliceai_state_dict,
)

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
    "fit",
    "load_keras_deepg",
    "load_spliceai",
    "load_spliceai_frozen_graph",
    "load_spliceai_h5",
    "load_spliceai_state_dict",
    "predict",
    "score_splice_sites",
]
