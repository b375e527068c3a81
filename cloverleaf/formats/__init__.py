"""Wire dialects: parse what clients send, build what upstreams receive. Pure: no I/O."""
