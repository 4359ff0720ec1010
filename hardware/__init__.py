"""madoguchi hardware."""
