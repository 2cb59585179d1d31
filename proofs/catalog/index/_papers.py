"""The papers the catalog cites most, and shorthands for their equations."""
from __future__ import annotations

LUO = "Luo 2022"
SONG = "Song et al. 2021"
HO = "Ho et al. 2020"


def luo(eq: str) -> str:
    return f"{LUO} Eq. {eq}"


def song(eq: str) -> str:
    return f"{SONG} Eq. {eq}"

# the Gaussian-path family (gaussian_paths); sections where an equation number was not verified
KINGMA = "Kingma et al. 2021 (VDM)"
LU = "Lu et al. 2022 (DPM-Solver)"
SALIMANS = "Salimans & Ho 2022"
KARRAS = "Karras et al. 2022 (EDM)"
LIU = "Liu et al. 2023 (rectified flow)"
LIPMAN = "Lipman et al. 2023 (flow matching)"

# guidance and loss weighting (guidance, weighting); sections where a number was not verified
DHARIWAL = "Dhariwal & Nichol 2021"
HO_SALIMANS = "Ho & Salimans 2022 (classifier-free guidance)"
LIN = "Lin et al. 2023 (Common Diffusion Noise Schedules and Sample Steps are Flawed)"
HANG = "Hang et al. 2023 (Min-SNR)"
