"""The matching engine: pure Python, no Telegram and no database."""
