"""All SQL lives here: the database handle, versioned migrations and the repositories.

Nothing in this package imports the Telegram framework.
"""

from storage.db import Database, DuplicateUpdateError

__all__ = ["Database", "DuplicateUpdateError"]
