"""Attribution methods for one-hot DNA models."""

from captum_genomics.attr.ism import InSilicoMutagenesis

__all__ = ["InSilicoMutagenesis"]
