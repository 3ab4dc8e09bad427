"""The visit tests' customers, shared with the dialog tests."""

from tests.dialogs.conftest import world

__all__ = ["world"]
