"""madoguchi integrations."""
