"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from geodata import load_bundle
from tests.pg_fixture import pg_cluster, pg_url, store_home  # noqa: F401

_ISOLATED = tempfile.mkdtemp(prefix="iskp-atlas-tests-")


def pytest_configure(config):
    """Tests never touch the user's real store or cache folders: the store folder and the
    bundle cache point into one temporary folder for the whole run (a test that needs its
    own sets the variables again, e.g. with monkeypatch), and no extra file is opened."""
    os.environ["ISKP_ATLAS_HOME"] = os.path.join(_ISOLATED, "home")
    os.environ["ISKP_ATLAS_CACHE_DIR"] = os.path.join(_ISOLATED, "cache")
    os.environ.pop("ISKP_ATLAS_EXTRA_INCIDENTS", None)
    os.environ.pop("ISKP_ATLAS_DATABASE_URL", None)  # never the user's team store


def pytest_unconfigure(config):
    shutil.rmtree(_ISOLATED, ignore_errors=True)


@pytest.fixture(scope="session")
def bundle():
    """The bundled data (read-only: tests must copy before changing anything)."""
    return load_bundle()
