"""Addresses compared however they are typed: the comparison keys live in ``contracts.addresses``
(the core system simulator in integrations/ matches with them too, and may not import backend);
this module keeps the names backend code has always imported from here."""

from contracts.addresses import (
    PREFECTURES,
    Municipality,
    address_key,
    display_form,
    fold,
    parse_municipality,
    prefecture_for_code,
    reading_key,
    same_address,
    split_municipality,
)

__all__ = [
    "PREFECTURES",
    "Municipality",
    "address_key",
    "display_form",
    "fold",
    "parse_municipality",
    "prefecture_for_code",
    "reading_key",
    "same_address",
    "split_municipality",
]
