"""Pure business rules on plain values: no database, no network, no clock unless passed in.

Nothing here imports anything of ours; every other layer may import from here.
"""
