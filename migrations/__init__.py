"""Alembic migrations for the ChannelHub store (run with ``channelhub migrate``)."""
