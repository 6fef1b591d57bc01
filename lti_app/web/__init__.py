"""Entrypoints: Flask blueprints, one per concern. Thin: they call the services."""
