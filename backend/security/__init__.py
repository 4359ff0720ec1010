"""Security: hardening middleware, login throttling, the 個人番号 store, retention purges."""
