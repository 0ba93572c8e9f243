"""Hearth's own modules: the domain, accounts, realtime, and the infrastructure they share.

Nothing here imports the blueprints: views call into this package, never the reverse.
"""
