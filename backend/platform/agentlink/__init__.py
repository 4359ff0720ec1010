"""Counter agents: the jobs sent to them and the hub their connections end in."""
