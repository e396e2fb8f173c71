"""The runtime machinery: what keeps the bot going between updates — the scheduler timeline,
the notifier that turns events into messages, the outbox sender and its rate limits, the card
refresher, the tap batcher, the inbox, per-person update processing and the connections to
Telegram. It uses storage and texts; the composition root (bot/) builds and starts it."""
