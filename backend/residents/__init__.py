"""Residents before the counter: pre-entry (事前入力) from a phone and reservations (来庁予約)."""
