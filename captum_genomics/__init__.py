"""captum-genomics: genomics-aware explainers for Captum."""

__version__ = "0.1.0"
