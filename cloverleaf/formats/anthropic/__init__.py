"""Anthropic Messages (`/v1/messages`): clients that speak it, and Claude as an upstream."""
