"""The README's connector examples are valid configs (every ```yaml block in it)."""

from __future__ import annotations

import re
from pathlib import Path

from connectors.config import parse_config
from connectors.rest.config import RestConnectorConfig
from connectors.soap.config import BookmarkPaginator, SoapConnectorConfig

README = Path(__file__).resolve().parent.parent / "README.md"


def connector_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_examples_validate() -> None:
    examples = connector_examples()
    assert len(examples) >= 4
    configs = [parse_config(block, source="README.md") for block in examples]
    assert any(isinstance(c, RestConnectorConfig) for c in configs)
    soap = [c for c in configs if isinstance(c, SoapConnectorConfig)]
    assert any(
        isinstance(s.paginator, BookmarkPaginator) and s.operation == "ReadMultiple"
        for c in soap
        for s in c.streams
    )


def test_the_readme_shows_a_triggered_write_with_a_lookup_and_a_live_field() -> None:
    configs = [parse_config(block, source="README.md") for block in connector_examples()]
    builtin = [c for c in configs if isinstance(c, RestConnectorConfig | SoapConnectorConfig)]
    operations = [o for c in builtin for o in c.operations]
    assert any(o.trigger == "order.approved" and o.lookup is not None for o in operations)
    assert any(s.live for c in configs for s in c.streams)
