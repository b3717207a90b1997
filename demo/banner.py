"""What ``channelhub demo`` prints before serving: where the graph is and a query to try."""

from __future__ import annotations

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


def graphql_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches the GraphQL endpoint (and GraphiQL) at."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (shown, not bound)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/graphql"


def demo_banner(host: str, port: int) -> str:
    """The text shown once the demo database is ready."""
    return (
        f"ChannelHub demo: GraphQL (and GraphiQL) at {graphql_url(host, port)}\n"
        "Try this query:\n\n"
        f"{EXAMPLE_QUERY}\n"
    )
