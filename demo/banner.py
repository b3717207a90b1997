"""What ``channelhub demo`` prints before serving: where the graph is, tokens to call it with,
a query to try (and a dealer's rebates query), and the same query as a curl command."""

from __future__ import annotations

import json
from dataclasses import dataclass

EXAMPLE_QUERY = """\
{
  orders(first: 5) {
    totalCount
    nodes {
      number
      status
      total
      createdAt
      partner { name region { name } }
      lines { quantity unitPrice product { sku name } }
    }
  }
}"""

DEALER_QUERY = """\
{
  rebateAgreements { code name period method cap }
  rebateAccruals { year periodKind periodIndex amount entitlementYtd }
  fundBalances { fund currency balance }
}"""
"""What a dealer asks about its rebates: the agreements covering it, accruals, fund balances."""


@dataclass(frozen=True)
class DemoTokens:
    """Bearer tokens for the demo: a brand admin, and a dealer (if the data has one)."""

    admin: str
    dealer: str | None = None
    dealer_name: str | None = None


def graphql_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches the GraphQL endpoint (and GraphiQL) at."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (shown, not bound)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/graphql"


def curl_example(url: str, token: str) -> str:
    """A shell command that runs ``EXAMPLE_QUERY`` with ``token``."""
    body = json.dumps({"query": " ".join(EXAMPLE_QUERY.split())})
    return (
        f"curl -s {url} \\\n"
        f'  -H "Authorization: Bearer {token}" \\\n'
        f"  -H 'Content-Type: application/json' \\\n"
        f"  -d '{body}'"
    )


def demo_banner(host: str, port: int, tokens: DemoTokens | None = None) -> str:
    """The text shown once the demo database is ready."""
    url = graphql_url(host, port)
    lines = [f"ChannelHub demo: GraphQL (and GraphiQL) at {url}"]
    if tokens is not None:
        lines += [
            "Every request needs a token (GraphiQL: add it under Headers as",
            '{"Authorization": "Bearer <token>"}).',
            "",
            "Brand admin (sees everything):",
            f"  {tokens.admin}",
        ]
        if tokens.dealer is not None:
            lines += [f"Dealer {tokens.dealer_name} (sees its own orders):", f"  {tokens.dealer}"]
            lines += [
                "",
                "The demo has rebate agreements, approval rules and reorder rules. As the dealer,",
                "ask for its rebates (accruals appear once `channelhub rebates accrue` has run):",
                "",
                DEALER_QUERY,
            ]
    lines += ["", "Try this query:", "", EXAMPLE_QUERY]
    if tokens is not None:
        lines += ["", "or from a shell:", "", curl_example(url, tokens.admin)]
    return "\n".join(lines) + "\n"
