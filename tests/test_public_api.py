"""The public API is exported and documented (numpy style)."""

from __future__ import annotations

import inspect

import pytest

import captum_genomics
import captum_genomics.dna
import captum_genomics.export
import captum_genomics.genome
import captum_genomics.gggp
import captum_genomics.models
import captum_genomics.motifs
import captum_genomics.splicing
import captum_genomics.surrogates
import captum_genomics.variants

MODULES = (captum_genomics, captum_genomics.dna, captum_genomics.models, captum_genomics.gggp,
           captum_genomics.splicing, captum_genomics.surrogates, captum_genomics.export,
           captum_genomics.motifs, captum_genomics.variants, captum_genomics.genome)
PUBLIC = [(module, name) for module in MODULES for name in module.__all__]


@pytest.mark.parametrize("module, name", PUBLIC, ids=[f"{m.__name__}.{n}" for m, n in PUBLIC])
def test_public_object_is_documented(module, name):
    obj = getattr(module, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return  # constants (alphabets, layouts, motif tables) document themselves in modules
    doc = inspect.getdoc(obj)
    assert doc and len(doc.splitlines()[0]) > 10, f"{name} lacks a one-line summary"
    if inspect.isfunction(obj) and len(inspect.signature(obj).parameters) > 0:
        assert "Parameters\n----------" in doc, f"{name} documents no parameters"


def test_explainers_are_captum_attributions_with_logged_attribute():
    from captum.attr import IntegratedGradients, PerturbationAttribution

    assert issubclass(captum_genomics.GenomicIntegratedGradients, IntegratedGradients)
    assert issubclass(captum_genomics.GGGPPerturbationExplainer, PerturbationAttribution)
    for cls in (captum_genomics.GenomicIntegratedGradients,
                captum_genomics.GGGPPerturbationExplainer):
        assert hasattr(cls.attribute, "__wrapped__"), f"{cls.__name__}.attribute lacks log_usage"
