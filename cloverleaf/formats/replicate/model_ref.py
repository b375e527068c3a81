"""Which of Replicate's three create endpoints a model id names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from cloverleaf.core.errors import bad_request

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VERSION_ID = re.compile(r"[0-9a-f]{64}")
DEPLOYMENTS = "deployments/"
_FORMS = "owner/name, owner/name:version, a 64-hex version id, or deployments/owner/name"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """`model`: an official model (`/models/{owner}/{name}/predictions`); `version`: a pinned
    version (`/predictions` with `version` in the body); `deployment`: the caller's own
    deployment (`/deployments/{owner}/{name}/predictions`)."""

    kind: Literal["model", "version", "deployment"]
    owner: str = ""
    name: str = ""
    version: str | None = None


def parse_model(model: str) -> ModelRef:
    """Raise a 400 naming `model` for anything Replicate could not route, before any I/O."""
    if _VERSION_ID.fullmatch(model):
        return ModelRef("version", version=model)
    deployment = model.startswith(DEPLOYMENTS)
    rest = model.removeprefix(DEPLOYMENTS)
    ref, sep, version = rest.partition(":")
    owner, slash, name = ref.partition("/")
    if not (slash and _NAME.fullmatch(owner) and _NAME.fullmatch(name)):
        raise bad_request(f"replicate model {model!r} must be {_FORMS}", param="model")
    if not sep:
        return ModelRef("deployment" if deployment else "model", owner, name)
    if deployment:
        raise bad_request(
            f"replicate deployment {model!r} cannot pin a version: the deployment does",
            param="model",
        )
    if not version or "/" in version:
        raise bad_request(
            f"replicate model {model!r} has an empty or malformed version", param="model"
        )
    return ModelRef("version", owner, name, version)


def prediction_path(model: str, stream: bool) -> str:
    """The create path below `/v1`. `stream` travels in the body, never in the path."""
    del stream
    ref = parse_model(model)
    if ref.kind == "version":
        return "/predictions"
    if ref.kind == "deployment":
        return f"/deployments/{ref.owner}/{ref.name}/predictions"
    return f"/models/{ref.owner}/{ref.name}/predictions"
