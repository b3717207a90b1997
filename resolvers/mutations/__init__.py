"""Mutation services per area: validate, then write one unit of work through the repositories.

A service either returns the written row or raises a ``MutationFailure`` (see
``resolvers.mutations.errors``) from inside its transaction, so a refused mutation writes
nothing. The graph maps each failure to a typed member of the mutation's result union.
"""
