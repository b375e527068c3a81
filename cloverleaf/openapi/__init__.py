"""The gateway's own OpenAPI document (`GET /openapi.json`) and its offline docs page (`/docs`)."""
