"""Where the catalogue comes from: the file shipped in the package, optionally overlaid (or
replaced) by an operator's file named in `CLOVERLEAF_MODEL_CATALOGUE`.

Prices change more often than releases; the environment variable lets an operator correct or
extend them without waiting for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from cloverleaf.catalogue.entries import Catalogue
from cloverleaf.catalogue.parse import CatalogueError, parse_catalogue

ENV_VAR = "CLOVERLEAF_MODEL_CATALOGUE"
SHIPPED = "models.json"
#: a catalogue is a few hundred kilobytes at most; anything far bigger is the wrong file
MAX_FILE_BYTES = 16 * 1024 * 1024


def shipped_catalogue() -> Catalogue:
    raw = resources.files("cloverleaf.catalogue").joinpath(SHIPPED).read_bytes()
    catalogue, _ = parse_catalogue(raw, f"cloverleaf/catalogue/{SHIPPED}")
    return catalogue


def catalogue_from_file(path: Path, base: Catalogue) -> Catalogue:
    """`base` overlaid with the file's models, or the file alone when it says `mode: replace`."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CatalogueError(f"{path}: {size} bytes is too big for a model catalogue")
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    extra, replace = parse_catalogue(raw, str(path))
    return extra if replace else base.overlay(extra)


def catalogue_from_env(env: Mapping[str, str]) -> Catalogue:
    """The catalogue this process uses; raises CatalogueError (a ConfigError) naming the file and
    the field when the operator's file is unusable, so the gateway refuses to start with it."""
    shipped = shipped_catalogue()
    path = env.get(ENV_VAR, "").strip()
    if not path:
        return shipped
    try:
        return catalogue_from_file(Path(path), shipped)
    except CatalogueError as exc:
        raise CatalogueError(f"{ENV_VAR}: {exc}") from None
