"""Implementations of the domain's storage ports: in-memory (tests) and SQLite (the default)."""
