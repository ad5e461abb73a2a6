"""The Streamlit BI app: ``streamlit_app.py`` routes, ``app_pages/`` render, ``data`` is the only reader of the
publication. It imports only the foundation (``lint-imports`` checks)."""
