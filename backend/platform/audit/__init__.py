"""The audit trail: one hash chain of events per tenant (views, prints, exports, hand-offs,
logins, changes of configuration)."""
