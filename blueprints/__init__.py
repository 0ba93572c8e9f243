"""Thin HTTP layers: each parses a request, calls the domain, and answers."""
