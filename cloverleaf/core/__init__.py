"""The typed internal model shared by every layer; no I/O here."""
