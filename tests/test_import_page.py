"""The Data page, headless: it lists the store's batches and removes one on request."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from geodata.store import HOME_ENV, import_bytes, list_batches

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_data_page_lists_and_removes_batches(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    import_bytes((FIXTURES / "acled_sample.csv").read_bytes(), "acled.csv")
    app = AppTest.from_file(str(ROOT / "app_pages" / "data.py"), default_timeout=60).run()
    assert not app.exception
    assert app.title[0].value == "Data"
    listed = app.dataframe[0].value
    assert list(listed["file"]) == ["acled.csv"] and list(listed["rows_accepted"]) == [4]
    remove = next(b for b in app.button if b.label == "Remove batch")
    remove.click().run()
    assert not app.exception
    assert list_batches(tmp_path) == []
    assert any("No imported batches yet" in i.value for i in app.info)


def test_data_page_without_a_store_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "empty"))
    app = AppTest.from_file(str(ROOT / "app_pages" / "data.py"), default_timeout=60).run()
    assert not app.exception
    assert any("No imported batches yet" in i.value for i in app.info)
    assert not (tmp_path / "empty").exists()
