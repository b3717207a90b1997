"""The ``rest`` connector kind: declarative REST APIs over one shared ``httpx.AsyncClient``.

``RestConnectorConfig`` (``config``) validates a connector's configuration;
``RestConnector(config, client)`` (``connector``) implements ``connectors.protocol.Connector``
with authenticators (``auth``), paginators, record selection and incremental cursors
(``records``), retries (``retry``, ``requester``) and a token-bucket rate limit. Nothing here
touches the store.
"""

from connectors.rest.config import RestConnectorConfig
from connectors.rest.connector import RestConnector

__all__ = ["RestConnector", "RestConnectorConfig"]
