"""The old module paths (sequence, shuffle, annotations) forward to dna/ with a warning."""

from __future__ import annotations

import importlib

import pytest

SHIMS = {
    "captum_genomics.sequence": {
        "ALPHABET": "captum_genomics.dna.codec",
        "LAYOUTS": "captum_genomics.dna.codec",
        "N_POLICIES": "captum_genomics.dna.codec",
        "LOWERCASE_POLICIES": "captum_genomics.dna.codec",
        "UNKNOWN_POLICIES": "captum_genomics.dna.codec",
        "check_one_hot": "captum_genomics.dna.codec",
        "decode": "captum_genomics.dna.codec",
        "from_ncl": "captum_genomics.dna.codec",
        "one_hot": "captum_genomics.dna.codec",
        "reverse_complement": "captum_genomics.dna.codec",
        "to_ncl": "captum_genomics.dna.codec",
        "one_hot_region": "captum_genomics.dna.fasta",
        "read_region": "captum_genomics.dna.fasta",
    },
    "captum_genomics.shuffle": {
        "SeedLike": "captum_genomics.dna.shuffle",
        "ShuffleWarning": "captum_genomics.dna.shuffle",
        "dinucleotide_shuffle": "captum_genomics.dna.shuffle",
        "kmer_shuffle": "captum_genomics.dna.shuffle",
    },
    "captum_genomics.annotations": {
        "Interval": "captum_genomics.dna.annotations",
        "PathLike": "captum_genomics.dna.annotations",
        "filter_intervals": "captum_genomics.dna.annotations",
        "read_bed": "captum_genomics.dna.annotations",
        "read_gff3": "captum_genomics.dna.annotations",
    },
}


@pytest.mark.parametrize("old", sorted(SHIMS))
def test_shim_forwards_every_public_name_with_a_warning(old):
    shim = importlib.import_module(old)
    for name, new in SHIMS[old].items():
        with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} is deprecated.*{new}\.{name}"):
            moved = getattr(shim, name)
        assert moved is getattr(importlib.import_module(new), name)
    with pytest.raises(AttributeError, match="no attribute"):
        shim.no_such_name  # noqa: B018


@pytest.mark.parametrize("new", ["captum_genomics.dna.codec", "captum_genomics.dna.fasta",
                                 "captum_genomics.dna.shuffle", "captum_genomics.dna.annotations"])
def test_shims_cover_every_public_name_of_the_new_modules(new):
    module = importlib.import_module(new)
    forwarded = {name for names in SHIMS.values() for name, target in names.items()
                 if target == new}
    # These are new in dna.codec (nearest_sequences came from attr.baselines, which re-exports
    # it): they never lived at the old paths.
    new_in_codec = {"BASE_RADIUS", "codes_to_tensor", "nearest_sequences"}
    assert set(module.__all__) - new_in_codec <= forwarded
