"""Samplers (mmengine's ``DATA_SAMPLERS``)."""
from .sample_seeded_infinite_sampler import SampleSeededInfiniteSampler

__all__ = ['SampleSeededInfiniteSampler']
