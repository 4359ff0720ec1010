"""The platform: settings, database and tenant scoping, errors, crypto, logging, access, the unit
of work, audit, live events, the generic outbox and the generic agent link. It imports no
domain; domains plug into its registries (docs/architecture.md)."""
