"""OpenAI Chat Completions: the gateway's native dialect."""
