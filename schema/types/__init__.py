"""GraphQL object types per area; their sources are store rows read as plain attributes."""
