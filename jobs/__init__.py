"""Background and operator jobs: key maintenance (re-encryption, rotation, shredding) now;
sync, outbox relay and scheduled work later. Jobs are safe to run twice and resume where a
killed run stopped; they take ids and settings, never live objects from a request.
"""
