"""Adapters at the edges: the database (SQLAlchemy), Redis, and the LMS over HTTP."""
