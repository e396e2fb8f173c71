"""Everything that turns domain state into words and buttons a person reads: the catalogs and
locale formatting (i18n), the card, the order editor, the head's panel, the payments view and
the participant list, the notices, the pickup QR codes, and the callback data the buttons
carry. Handlers and the runtime both use it; it reads no storage."""
