"""Users never see internals; the app's upload limit says what the CLI says (issue 11)."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

from fixtures.apptest import FRIENDLY_PREFIX, failures
from streamlit.testing.v1 import AppTest

from atlas_cli.main import main
from geodata.importers import max_import_bytes
from geodata.importers.reading import DEFAULT_MAX_MB, size_limit_text
from ui import md_escape

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
SECRET = "secret-{{ 7*7 }}-<img src=x onerror=alert(1)>-/home/analyst/store.sqlite"


def test_shipped_config_hides_error_details_and_uses_the_import_limit():
    assert CONFIG["client"]["showErrorDetails"] == "none"
    assert CONFIG["server"]["maxUploadSize"] == DEFAULT_MAX_MB


def _failing_page():
    import ui

    with ui.friendly_errors("test-page"):
        raise RuntimeError(
            "secret-{{ 7*7 }}-<img src=x onerror=alert(1)>-/home/analyst/store.sqlite"
        )


def test_a_failing_page_shows_a_friendly_error_and_logs_the_traceback(caplog):
    caplog.set_level(logging.ERROR, logger="iskp_atlas.app")
    at = AppTest.from_function(_failing_page, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] and failures(at)  # seen as a failure by tests
    shown = at.error[0].value
    assert shown.startswith(FRIENDLY_PREFIX)
    for part in ("secret", "7*7", "img", "store.sqlite", "RuntimeError"):
        assert part not in shown
    reference = shown.split("reference ", 1)[1].split(".", 1)[0]
    logged = [r for r in caplog.records if r.name == "iskp_atlas.app"]
    assert logged and reference in logged[0].getMessage()
    assert logged[0].exc_info and SECRET in str(logged[0].exc_info[1])


def test_data_page_states_the_limit_in_the_words_of_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ISKP_ATLAS_MAX_IMPORT_MB", raising=False)
    at = AppTest.from_file(str(ROOT / "app_pages" / "data.py"), default_timeout=120).run()
    assert not failures(at)
    words = size_limit_text(max_import_bytes())
    assert "200 MB import limit" in words
    captions = [c.value for c in at.caption]
    assert md_escape(f"A file is refused when it is over {words}.") in captions
    # the CLI's refusal of a file over its --max-mb says the same words
    big = tmp_path / "big.csv"
    big.write_text("id,date\n" + "x,2025-01-01\n" * 200, encoding="utf-8")
    assert main(["import", str(big), "--max-mb", "0.001", "--home", str(tmp_path / "h")]) == 2
    assert size_limit_text(max_import_bytes(0.001)) in capsys.readouterr().err


def test_the_app_turns_a_page_failure_into_the_friendly_error(tmp_path, monkeypatch, caplog):
    import ui

    def broken(*args, **kwargs):
        raise ValueError(SECRET)

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(ui.tables, "top_areas", broken)  # the Risk map page's tables
    caplog.set_level(logging.ERROR, logger="iskp_atlas.app")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error if e.value.startswith(FRIENDLY_PREFIX)]
    assert not any("secret" in e.value for e in at.error)
    assert at.get("component_instance"), "the map drawn before the failure stays"
    assert at.sidebar.multiselect(key="w_actor") is not None  # the sidebar still drawn
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
