"""The old homes of the splicing code forward to the new one, warning, for one release."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

import captum_genomics.splicing as splicing
from tests.support import random_spliceai

SHIMS = {
    "captum_genomics.models.heads": ["SITE_CLASSES", "ExonHead", "SpliceSiteHead",
                                     "score_splice_sites"],
    "captum_genomics.gggp.spliceai_scorer": ["REDUCTIONS", "ExonInput", "ExonScorer",
                                             "SpliceAIExonScorer", "build_exon_input"],
    "captum_genomics.scoring": ["REDUCTIONS", "EditGeometry", "IncrementalSpliceAI", "cone_work",
                                "plain_work"],
    "captum_genomics.scoring.incremental": ["REDUCTIONS", "EditGeometry", "IncrementalSpliceAI"],
    "captum_genomics.scoring.cones": ["cone_work", "plain_work"],
}
CASES = [(module, name) for module, names in SHIMS.items() for name in names]


@pytest.mark.parametrize("module, name", CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_shim_forwards_with_a_deprecation_warning(module, name):
    shim = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=f"{module}.{name} is deprecated"):
        obj = getattr(shim, name)
    assert obj is getattr(splicing, name)
    with pytest.raises(AttributeError):
        shim.not_a_name  # noqa: B018


@pytest.mark.parametrize(
    "module", ["captum_genomics.scoring", "captum_genomics.scoring.incremental"]
)
def test_old_incremental_scorer_signature_keeps_working_with_a_warning(module):
    model = random_spliceai(80)
    reference = np.random.default_rng(0).integers(0, 4, 100).astype(np.uint8)
    old_class = importlib.import_module(module).IncrementalExonScorer
    with pytest.warns(DeprecationWarning, match="reference=reference"):
        old = old_class(model, reference, 30, 60, "max")
    new = splicing.IncrementalExonScorer(model, 30, 60, "max", reference=reference)
    assert isinstance(old, splicing.IncrementalExonScorer)
    assert (old.tracked, old.reduce, old.batch_size) == (new.tracked, new.reduce, new.batch_size)
    assert np.array_equal(old.reference, reference)


def test_models_still_export_the_heads_and_gggp_imports_no_torch():
    import captum_genomics.models as models

    for name in ("ExonHead", "SpliceSiteHead", "SITE_CLASSES", "score_splice_sites"):
        assert getattr(models, name) is getattr(splicing, name)
    code = (
        "import sys; import captum_genomics.gggp.search, captum_genomics.gggp.spliceai_scorer; "
        "print(sorted(m for m in sys.modules if m.startswith('captum_genomics.splicing')))"
    )
    # importing captum_genomics imports torch through other modules; the shim must not pull in
    # the splicing package (and with it torch) before a name is used
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
