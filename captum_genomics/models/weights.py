"""Deprecated: moved to :mod:`captum_genomics.models.spliceai_weights` (removed in 0.3.0)."""

from captum_genomics._deprecation import moved_names

__getattr__ = moved_names(
    __name__,
    {
        name: f"captum_genomics.models.spliceai_weights:{name}"
        for name in (
            "CISPLICEAI_INSTALL",
            "SPLICEAI_INSTALL",
            "find_spliceai_weights",
            "load_spliceai",
            "load_spliceai_frozen_graph",
            "load_spliceai_h5",
            "load_spliceai_state_dict",
        )
    },
)
