"""Published JSON Schemas of the data contract."""
