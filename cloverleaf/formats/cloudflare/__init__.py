"""Cloudflare Workers AI's native `/ai/run/{model}` API (its `/ai/v1` surface is plain OpenAI)."""

from cloverleaf.formats.cloudflare.dialect import CloudflareRunDialect, run_path

__all__ = ["CloudflareRunDialect", "run_path"]
