"""The counter domain: owns the visit — members, documents, the signature, the tablet, card
results, the hand-off to the back office, retention and the 個人番号 store. Its states and
transitions are in ``states.py`` (docs/architecture.md)."""
