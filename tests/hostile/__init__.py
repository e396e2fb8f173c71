"""Hostile tests: what a stranger, a flood, a crafted file or a busy group does to the bot."""
