"""Shared fixtures."""

from __future__ import annotations

import pytest

from geodata import load_bundle


@pytest.fixture(scope="session")
def bundle():
    """The bundled data (read-only: tests must copy before changing anything)."""
    return load_bundle()
