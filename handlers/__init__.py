"""Telegram in and out: parse an update, call a use case, render text and keyboard."""
