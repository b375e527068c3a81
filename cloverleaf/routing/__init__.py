"""From a model name to upstream attempts: targets, keys, retries, concurrency limits."""
