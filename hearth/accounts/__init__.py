"""Who may do what: login sessions and their tokens, passwords and throttles; blueprints/guards.py checks requests."""
