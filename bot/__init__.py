"""Composition root of GroupBuy bot: settings, the Application factory, the CLI, logging and
the webhook server. It builds the runtime (runtime/) and registers the handlers (handlers/)."""
