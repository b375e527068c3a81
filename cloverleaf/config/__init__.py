"""Gateway configuration: Bifrost-shaped provider config plus server settings."""
