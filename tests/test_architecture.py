"""Imports point downward: geodata <- riskmodel <- mapspec <- ui/app/app_pages; no streamlit
below the ui/ package (the Streamlit edge), and ui/ reads no page and no CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["geodata", "riskmodel", "mapspec", "ui"]
UPWARD = {
    "geodata": {
        "riskmodel",
        "mapspec",
        "ui",
        "app",
        "pages",
        "app_pages",
        "atlas_cli",
        "streamlit",
    },
    "riskmodel": {
        "mapspec",
        "ui",
        "app",
        "pages",
        "app_pages",
        "atlas_cli",
        "streamlit",
        "folium",
        "streamlit_folium",
    },
    "mapspec": {"ui", "app", "pages", "app_pages", "atlas_cli", "streamlit", "streamlit_folium"},
    "ui": {"app", "pages", "app_pages", "atlas_cli"},
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module imported by a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", LAYERS)
def test_no_upward_or_streamlit_imports(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no modules"
    offenders = {
        str(f.relative_to(ROOT)): sorted(imported_modules(f) & UPWARD[package]) for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\nfrom mapspec.spec import MapSpec\n")
    assert imported_modules(bad) >= {"streamlit", "mapspec"}


MAX_MODULE_LINES = 420
"""About 400 lines: a module that grows past it holds two things more often than not and
is split along its seam (docs/CONTRIBUTING.md); the margin is for a docstring's growth."""


def test_no_module_of_the_product_outgrows_one_responsibility():
    """Every module of the app, the packages, the CLI and the benches stays under
    :data:`MAX_MODULE_LINES` (tests are not counted)."""
    folders = ("geodata", "riskmodel", "mapspec", "ui", "atlas_cli", "bench", "app_pages")
    modules = [ROOT / "app.py", *(p for f in folders for p in sorted((ROOT / f).rglob("*.py")))]
    assert len(modules) > 100
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"split these along their seams: {long}"
