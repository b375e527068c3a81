"""Audio wires: multipart forms, WAV headers, OpenAI's speech and transcription shapes."""
