"""OpenAI's Responses API (`POST /v1/responses`) as a client dialect."""
