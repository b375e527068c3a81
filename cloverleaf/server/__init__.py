"""The ASGI app: exact-path dispatch to thin handlers, before any framework runs."""
