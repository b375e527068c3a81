"""The model catalogue: context sizes, modalities and exact per-token list prices."""

from cloverleaf.catalogue.entries import (
    Catalogue,
    ModelCard,
    PriceTier,
    Pricing,
    base_model_name,
)
from cloverleaf.catalogue.load import ENV_VAR, catalogue_from_env, shipped_catalogue
from cloverleaf.catalogue.parse import CatalogueError

__all__ = [
    "ENV_VAR",
    "Catalogue",
    "CatalogueError",
    "ModelCard",
    "PriceTier",
    "Pricing",
    "base_model_name",
    "catalogue_from_env",
    "shipped_catalogue",
]
