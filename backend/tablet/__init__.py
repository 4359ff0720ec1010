"""The resident tablet at a counter: what it shows, the PIN it takes, the signature."""
