"""Which providers generate images: Azure, Gemini, Vertex and Bedrock by their adapter; in the
OpenAI-compatible family only those known to serve images (OpenAI, Together, Fireworks), by
provider name, since most of that family has no images endpoint — and a custom provider on the
OpenAI wire that says it does (`allowed_requests` or a path override for `image_generation`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cloverleaf.providers.images.bedrock import BEDROCK
from cloverleaf.providers.images.fireworks import FIREWORKS
from cloverleaf.providers.images.google import GEMINI, VERTEX
from cloverleaf.providers.images.openai import AZURE, OPENAI, TOGETHER
from cloverleaf.providers.images.spec import ImageAdapter
from cloverleaf.providers.spec import ProviderSpec
from cloverleaf.routing.table import ProviderRoute

#: Bifrost's request type for image generation
IMAGE_GENERATION = "image_generation"

_BY_ADAPTER: Mapping[str, ImageAdapter] = MappingProxyType(
    {"azure": AZURE, "gemini": GEMINI, "vertex": VERTEX, "bedrock_converse": BEDROCK}
)
_BY_NAME: Mapping[str, ImageAdapter] = MappingProxyType(
    {"openai": OPENAI, "together": TOGETHER, "fireworks": FIREWORKS}
)


def image_adapter(spec: ProviderSpec) -> ImageAdapter | None:
    found = _BY_ADAPTER.get(spec.adapter or spec.dialect)
    return found if found is not None else _BY_NAME.get(spec.name)


def route_image_adapter(route: ProviderRoute) -> ImageAdapter | None:
    """`image_adapter`, or OpenAI's own wire for a custom OpenAI-compatible provider that
    declares image generation (a self-hosted server with `/v1/images/generations`)."""
    found = image_adapter(route.spec)
    if found is not None or route.spec.dialect != "openai_chat" or route.spec.adapter:
        return found
    declared = IMAGE_GENERATION in route.path_overrides or (
        route.allowed_requests is not None and IMAGE_GENERATION in route.allowed_requests
    )
    return OPENAI if declared else None
