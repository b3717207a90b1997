"""Security: field encryption (cipher and ciphertext format, data keys, KEK providers, blind
indexes, masks), identity (bearer JWTs in ``tokens``, API keys in ``api_keys``, both checked
by ``authn``), roles and permissions (``viewer``), and the audit chain.

Nothing in this package logs secrets or plaintext, and its errors (``security.errors``)
never carry them.
"""
