"""The Bifrost management API (providers and their keys) over the config store."""
