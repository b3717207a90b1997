"""Repositories: every database query lives here, scoped to the viewer; none commits."""
