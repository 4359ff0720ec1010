"""madoguchi forms."""
