"""OpenAI's legacy Completions API (`POST /v1/completions`) as a client dialect."""
