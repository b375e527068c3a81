"""Image generation as each provider offers it: a small protocol of its own beside chat.

`spec` holds the shared types, `registry` says which providers generate images, and one module
per wire translates OpenAI's `/images/generations` request into that wire and its answer back.
"""
