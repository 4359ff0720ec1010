"""The outbox: messages enqueued in the request's transaction (topic + key + payload) and
delivered at least once, with an idempotency key, by the worker through registered adapters."""
