"""Cross-domain steps: the only code that calls several domains (see ARCHITECTURE.md)."""
