"""Query and mutation resolvers per area, and the per-request DataLoaders.

Resolvers are thin: check what the viewer may do, call a repository or a domain rule,
return rows or plain values. Each root field and each DataLoader batch opens its own
session (sibling fields run concurrently); a mutation is one ``sessionmaker.begin()``.
"""
