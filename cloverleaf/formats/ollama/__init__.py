"""Ollama's native API (`/api/chat`, `/api/generate`): NDJSON streams, streaming on by default."""
