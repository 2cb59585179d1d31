"""The papers the catalog cites most, and shorthands for their equations."""
from __future__ import annotations

LUO = "Luo 2022"
SONG = "Song et al. 2021"
HO = "Ho et al. 2020"


def luo(eq: str) -> str:
    return f"{LUO} Eq. {eq}"


def song(eq: str) -> str:
    return f"{SONG} Eq. {eq}"
