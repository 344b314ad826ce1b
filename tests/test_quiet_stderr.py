"""A session's stderr carries overlay's own lines; other libraries' chatter is silenced
at its source, their warnings and errors still show."""

from __future__ import annotations

import logging

import pytest

from overlay.cli import main


def test_other_libraries_info_is_silenced_and_their_errors_are_not(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from overlay.sources.synthetic import SyntheticSource

    real = SyntheticSource._open

    def chatty_open(self: SyntheticSource) -> None:
        logging.getLogger("matplotlib.font_manager").info("generated new fontManager")
        logging.getLogger("matplotlib.font_manager").warning(
            "Matplotlib is building the font cache; this may take a moment."
        )
        logging.getLogger("absl").warning("absl start-up note")
        logging.getLogger("somelib").info("somelib chatter")
        logging.getLogger("somelib").error("somelib real error")
        logging.getLogger("overlay.test").info("our own line")
        real(self)

    monkeypatch.setattr(SyntheticSource, "_open", chatty_open)
    code = main(["run", "--source", "synthetic", "--sink", "null", "--frames", "2"])
    err = capsys.readouterr().err
    assert code == 0
    assert "fontManager" not in err and "font cache" not in err and "absl" not in err
    assert "somelib chatter" not in err
    assert "overlay: somelib real error" in err  # a real error is never hidden
    assert "overlay: our own line" in err
