"""Printing glue: forms (what to print) + hardware (how to print it)."""
