"""Who is asking: staff sessions (cookie) and devices (bearer token)."""
