"""Cohere v2 chat (`POST /v2/chat`) as a wire dialect."""
