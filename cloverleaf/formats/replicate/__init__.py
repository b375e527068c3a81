"""Replicate's predictions API: one prompt string in, an array of text fragments out."""

from cloverleaf.formats.replicate.dialect import ReplicateDialect
from cloverleaf.formats.replicate.model_ref import ModelRef, parse_model, prediction_path

__all__ = ["ModelRef", "ReplicateDialect", "parse_model", "prediction_path"]
