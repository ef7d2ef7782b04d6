"""Settings a registered user controls (language, pause), and their GDPR rights."""
