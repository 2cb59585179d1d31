"""Adapters, one module per implementation; ``ADAPTERS`` maps the scheduler's name to its module
(imported on first use, so listing the names needs no library)."""
from __future__ import annotations

import importlib

ADAPTERS = {
    "DDPMScheduler": "diffusers_ddpm",
    "DDIMScheduler": "diffusers_ddim",
    "EulerDiscreteScheduler": "diffusers_euler",
    "HeunDiscreteScheduler": "diffusers_heun",
    "EulerAncestralDiscreteScheduler": "diffusers_euler_ancestral",
    "EDMEulerScheduler": "diffusers_edm_euler",
    "DPMSolverMultistepScheduler": "diffusers_dpmsolver",
    "FlowMatchEulerDiscreteScheduler": "diffusers_flow_match_euler",
    "ScoreSdeVeScheduler": "diffusers_score_sde_ve",
}


def get(name: str):
    """The adapter of scheduler ``name``; KeyError naming the known ones otherwise."""
    if name not in ADAPTERS:
        raise KeyError(f"no adapter for {name!r}; known: {', '.join(ADAPTERS)}")
    return importlib.import_module(f"{__name__}.{ADAPTERS[name]}").ADAPTER
