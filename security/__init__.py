"""Security: field encryption (cipher and ciphertext format, data keys, KEK providers, blind
indexes, masks), and later authentication, roles and scopes, and the audit chain.

Nothing in this package logs secrets or plaintext, and its errors (``security.errors``)
never carry them.
"""
