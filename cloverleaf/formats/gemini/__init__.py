"""Google Gemini `generateContent`: client dialect and upstream wire format."""
