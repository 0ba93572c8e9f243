"""Who may do what: login sessions and their tokens, the request guards, passwords and throttles."""
