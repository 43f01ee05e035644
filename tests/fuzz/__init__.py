"""Fuzz targets: the image and audio loaders on mutated bytes (see fuzz_loaders.py)."""
