"""madoguchi kiosk."""
