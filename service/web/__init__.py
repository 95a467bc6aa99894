"""The server-rendered web UI (Jinja2 pages, Simplified Chinese)."""
