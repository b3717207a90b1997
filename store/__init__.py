"""Persistence: engine and sessions, models (one module per aggregate), repositories.

Repositories hold every query and never commit; the request or job boundary owns the
transaction. Every read takes the viewer's ``Scope``.
"""
