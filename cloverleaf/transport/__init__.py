"""The one seam all upstream HTTP goes through, so tests and benchmarks can swap it."""
