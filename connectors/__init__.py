"""Connectors to ERP and finance systems: declarative REST (httpx) and SOAP (zeep) kinds,
mapping of remote records to hub entities, and the registry of connector kinds.

A connector is configuration, not code: ``connectors.config`` validates it, a kind
(``rest``, ``soap`` or a plugin) turns it into an object implementing
``connectors.protocol.Connector``. Connectors never write to the store themselves; sync jobs
do, page by page. Errors are classified (``connectors.errors``) and never carry secrets.
"""
