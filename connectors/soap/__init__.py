"""The ``soap`` connector kind: zeep clients built from a WSDL (URL or file) by config alone.

``config`` holds the pydantic models, ``wsdl_cache`` parses a WSDL once per process (and
pickles it to disk), ``connector`` implements ``connectors.protocol.Connector``. Nothing here
touches the store, and no error message carries a secret.
"""

from connectors.soap.config import SoapConnectorConfig
from connectors.soap.connector import SoapConnector

__all__ = ["SoapConnector", "SoapConnectorConfig"]
