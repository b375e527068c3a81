"""`/api/models...`: the live model list per key, filtered the way Bifrost's management API
filters it, and the catalogue's facts about each model.

A key *grants* a model when the key listed it (or names it in its allowlist or aliases) and its
allow/block lists let it through. `unfiltered` shows everything any key listed, restrictions
ignored. Only key ids ever leave here, never key values.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloverleaf.catalogue import Catalogue, ModelCard
from cloverleaf.core.errors import GatewayError, bad_request
from cloverleaf.pipeline.models import KeyListing, ModelLister, ProviderListing


@dataclass(frozen=True, slots=True)
class ModelQuery:
    query: str = ""
    provider: str = ""
    keys: tuple[str, ...] = ()
    #: 0: no limit
    limit: int = 5
    unfiltered: bool = False


@dataclass(frozen=True, slots=True)
class ListedModel:
    name: str
    provider: str
    accessible_by_keys: tuple[str, ...] = ()


class ModelsService:
    def __init__(self, lister: ModelLister, catalogue: Catalogue) -> None:
        self._lister = lister
        self.catalogue = catalogue

    async def models(self, query: ModelQuery) -> tuple[list[ListedModel], int]:
        """The page of matching models (providers and names sorted) and how many matched."""
        found: list[ListedModel] = []
        listings = await self._lister.providers(query.provider or None)
        for provider in sorted(listings, key=lambda p: p.route.name):
            found.extend(m for m in _provider_models(provider, query) if matches(m.name, query))
        page = found[: query.limit] if query.limit > 0 else found
        return page, len(found)

    def card(self, provider: str, model: str) -> ModelCard | None:
        return self.catalogue.lookup(provider, model)

    def parameters(self, model: str, provider: str) -> ModelCard:
        """The catalogue's card for one model; 400 when the name is ambiguous without a
        provider, 404 when the catalogue does not know it."""
        if not model:
            raise bad_request("the `model` query parameter is required", param="model")
        if provider:
            card = self.catalogue.lookup(provider, model)
            cards = [card] if card is not None else []
        else:
            cards = self.catalogue.find(model)
        if not cards:
            raise GatewayError(
                404, f"no parameters found for model {model!r}", code="model_not_found"
            )
        if len(cards) > 1:
            names = ", ".join(card.provider for card in cards)
            raise bad_request(
                f"model {model!r} is in the catalogue for several providers ({names}): "
                "add provider=... or use the provider/model form",
                param="provider",
            )
        return cards[0]

    def base_models(self, query: ModelQuery) -> tuple[list[str], int]:
        names = [
            name
            for name in self.catalogue.base_models(query.provider or None)
            if matches(name, query)
        ]
        return (names[: query.limit] if query.limit > 0 else names), len(names)


def matches(name: str, query: ModelQuery) -> bool:
    """Case-insensitive substring, also ignoring `-` and `_` (`gpt4o` finds `gpt-4o`)."""
    if not query.query:
        return True
    wanted, have = query.query.lower(), name.lower()
    return wanted in have or _squash(wanted) in _squash(have)


def _squash(text: str) -> str:
    return text.replace("-", "").replace("_", "")


def _provider_models(provider: ProviderListing, query: ModelQuery) -> list[ListedModel]:
    name = provider.route.name
    keys = [k for k in provider.keys if not _is_placeholder(provider, k)]
    if query.unfiltered:
        every = provider.listed.union(*(_granted_or_named(k) for k in keys))
        return [ListedModel(model, name) for model in sorted(every)]
    if query.keys:
        keys = [k for k in keys if k.key.id in query.keys]
        if not keys:
            return []
    grants: dict[str, list[str]] = {}
    for listing in keys:
        for model in _granted_or_named(listing):
            if listing.key.allows(model):
                grants.setdefault(model, []).append(listing.key.id)
    if not keys and provider.keys:  # a keyless provider: its server's list is the list
        grants = {model: [] for model in provider.listed}
    return [ListedModel(model, name, tuple(grants[model])) for model in sorted(grants)]


def _granted_or_named(listing: KeyListing) -> frozenset[str]:
    key = listing.key
    return listing.models | key.models | frozenset(key.aliases)


def _is_placeholder(provider: ProviderListing, listing: KeyListing) -> bool:
    """Keyless providers run with one stand-in key that no one configured: never show its id."""
    route = provider.route
    return route.spec.keyless and listing.key.id == f"{route.name}-keyless"
