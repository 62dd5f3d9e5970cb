"""The terminal front end: the Textual app, its screens, and the `telesales` command line."""
