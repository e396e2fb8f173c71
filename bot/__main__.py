"""`python -m bot` is the same as the `groupbuy` command."""

from bot.cli import main

raise SystemExit(main())
