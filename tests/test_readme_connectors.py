"""The README's connector examples are valid configs (the ```yaml blocks under "Connectors")."""

from __future__ import annotations

import re
from pathlib import Path

from connectors.config import parse_config
from connectors.rest.config import RestConnectorConfig
from connectors.soap.config import BookmarkPaginator, SoapConnectorConfig

README = Path(__file__).resolve().parent.parent / "README.md"


def connector_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Connectors\n")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```yaml\n(.*?)```", text[start:end], flags=re.DOTALL)


def test_the_readme_examples_validate() -> None:
    examples = connector_examples()
    assert len(examples) >= 2
    configs = [parse_config(block, source="README.md") for block in examples]
    assert any(isinstance(c, RestConnectorConfig) for c in configs)
    soap = [c for c in configs if isinstance(c, SoapConnectorConfig)]
    assert any(
        isinstance(s.paginator, BookmarkPaginator) and s.operation == "ReadMultiple"
        for c in soap
        for s in c.streams
    )
