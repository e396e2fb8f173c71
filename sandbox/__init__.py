"""A local Telegram Bot API emulator over real HTTP, with simulated users."""
