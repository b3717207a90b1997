"""The demo ERP's connector configs, filled for a running ``DemoErp`` and validated.

``demo_connector_configs(base_url, erp)`` reads ``connectors/*.yaml`` next to this module,
replaces ``${ERP_URL}`` (``base_url`` + the ERP's mount prefix) and the credentials
(``${SOAP_USERNAME}``, ``${SOAP_PASSWORD}``, ``${CLIENT_ID}``, ``${CLIENT_SECRET}``), and
validates each through ``connectors.config.config_from_data``. The result is what
``jobs.connector_configs.apply_configs`` stores. A placeholder left unfilled is a
``ValueError``; the files never hold a secret.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from connectors.config import ConnectorConfig, config_from_data
from demo.erp.erp import DemoErp
from demo.erp.routes import PREFIX

CONFIG_DIR = Path(__file__).with_name("connectors")
SALES_CONNECTOR = "demo-erp-sales"
FINANCE_CONNECTOR = "demo-erp-finance"
CONFIG_FILES = (f"{SALES_CONNECTOR}.yaml", f"{FINANCE_CONNECTOR}.yaml")
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def _fill(data: Any, values: dict[str, str], source: str) -> Any:
    if isinstance(data, str):

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise ValueError(f"{source}: unknown placeholder ${{{name}}}")
            return values[name]

        return _PLACEHOLDER.sub(one, data)
    if isinstance(data, dict):
        return {key: _fill(value, values, source) for key, value in data.items()}
    if isinstance(data, list):
        return [_fill(item, values, source) for item in data]
    return data


def demo_connector_configs(
    base_url: str, erp: DemoErp, *, prefix: str = PREFIX
) -> list[ConnectorConfig]:
    """The sales (SOAP) and finance (REST) connector configs for ``erp`` served at
    ``base_url`` (e.g. ``http://127.0.0.1:8000``) under ``prefix``."""
    values = {
        "ERP_URL": base_url.rstrip("/") + prefix,
        "SOAP_USERNAME": erp.soap_username,
        "SOAP_PASSWORD": erp.soap_password,
        "CLIENT_ID": erp.client_id,
        "CLIENT_SECRET": erp.client_secret,
    }
    configs: list[ConnectorConfig] = []
    for name in CONFIG_FILES:
        path = CONFIG_DIR / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        configs.append(config_from_data(_fill(data, values, str(path)), source=str(path)))
    return configs
