"""Queries, one module per aggregate; handlers and services never write SQL themselves.

The statements every update runs (de-duplication, identity, dialog, a search's rows, the
customer card) are built once at import with bound parameters. SQLAlchemy then reuses the
statement's cache key instead of building and hashing a new expression each time, which is
about 0.2 ms a statement (bench/telegram_throughput.py).
"""
