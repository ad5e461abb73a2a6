"""One module per page, each with ``render(settings, viewer)``."""
