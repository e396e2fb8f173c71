"""Composition root of GroupBuy bot: settings, application factory, CLI, logging, i18n."""
