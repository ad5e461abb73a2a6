"""The app's pages: each file is a page script the router runs; it renders with ``ui.show``."""
