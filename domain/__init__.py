"""The business of group buying in plain Python: no Telegram, no SQL, no I/O."""
