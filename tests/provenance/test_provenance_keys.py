"""Keys: created on first use, private, rotated without losing old sessions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from overlay.cli import main
from overlay.errors import ProvenanceError
from overlay.provenance import keys
from overlay.provenance.checks import check_manifest
from overlay.provenance.signed import seal_document


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_is_created_once_with_private_modes(overlay_dirs: dict[str, Path]) -> None:
    key = keys.load_signing_key()
    again = keys.load_signing_key()
    assert again.key_id == key.key_id
    assert key.key_id == keys.key_id_of(key.public)
    folder = overlay_dirs["config"] / "keys"
    assert _mode(folder) == 0o700
    files = sorted(folder.iterdir())
    assert {p.name for p in files} == {f"{key.key_id}.key", f"{key.key_id}.pub", "current"}
    for path in files:
        assert _mode(path) & 0o077 == 0, path
    assert "PRIVATE" not in repr(key) and key.key_id in repr(key)


def test_key_files_stay_private_under_a_permissive_umask(overlay_dirs: dict[str, Path]) -> None:
    old = os.umask(0)
    try:
        key = keys.load_signing_key()
    finally:
        os.umask(old)
    assert _mode(overlay_dirs["config"] / "keys" / f"{key.key_id}.key") == 0o600


def test_no_key_without_create_is_a_clear_error() -> None:
    with pytest.raises(ProvenanceError, match="overlay keys show"):
        keys.load_signing_key(create=False)


def test_group_readable_key_is_refused(overlay_dirs: dict[str, Path]) -> None:
    key = keys.load_signing_key()
    path = overlay_dirs["config"] / "keys" / f"{key.key_id}.key"
    path.chmod(0o640)
    with pytest.raises(ProvenanceError, match="chmod 600"):
        keys.load_signing_key()
    path.chmod(0o600)
    assert keys.load_signing_key().key_id == key.key_id


def test_damaged_key_file_is_a_clear_error(
    overlay_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    key = keys.load_signing_key()
    (overlay_dirs["config"] / "keys" / f"{key.key_id}.key").write_bytes(b"garbage")
    assert main(["keys", "show"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "damaged" in err[0] and "Traceback" not in err[0]


def test_rotate_keeps_old_public_keys_for_old_sessions(overlay_dirs: dict[str, Path]) -> None:
    old = keys.load_signing_key()
    manifest = overlay_dirs["config"] / "m.json"
    manifest.write_bytes(
        seal_document(
            {
                "format": "overlay.session-manifest/1",
                "session_id": "0badcafe",
                "key_id": old.key_id,
                "status": "complete",
            },
            old,
        )
    )
    assert check_manifest(manifest).valid
    previous, new = keys.rotate()
    assert previous == old.key_id and new.key_id != old.key_id
    folder = overlay_dirs["config"] / "keys"
    assert not (folder / f"{old.key_id}.key").exists()  # retired private key is gone
    assert (folder / f"{old.key_id}.pub").exists()
    assert keys.load_signing_key().key_id == new.key_id
    assert set(keys.public_keys()) == {old.key_id, new.key_id}
    assert check_manifest(manifest).valid  # old session still verifies
    # ... but not once the old public key is gone too (the negative twin)
    (folder / f"{old.key_id}.pub").unlink()
    result = check_manifest(manifest)
    assert not result.valid and old.key_id in result.reason


def test_cli_show_export_rotate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "show"]) == 0
    out = capsys.readouterr().out
    kid = keys.load_signing_key().key_id
    assert kid in out and "PRIVATE" not in out
    assert main(["keys", "export-public"]) == 0
    pem = capsys.readouterr().out
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert keys.key_id_of(keys.load_public_key(pem.encode())) == kid
    out_file = tmp_path / "pub.pem"
    assert main(["keys", "export-public", "--out", str(out_file)]) == 0
    assert out_file.read_text() == pem
    assert main(["keys", "export-public", "--out", str(out_file)]) == 2  # never overwrites
    assert main(["keys", "rotate"]) == 0
    assert kid in capsys.readouterr().out
    assert keys.load_signing_key().key_id != kid
    assert main(["keys"]) == 2
