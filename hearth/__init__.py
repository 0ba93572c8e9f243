"""Hearth's own modules: the domain, accounts, realtime, and the infrastructure they share.

Nothing here imports the blueprints: views call into this package, never the reverse.
"""

from importlib.metadata import version

# one source of truth, pyproject.toml: /healthz, the page footer and `hearth --version` show this
__version__ = version("hearth")
