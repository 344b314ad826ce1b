"""Recordings: C2PA-signed with the AI assertions, AIGC in the mp4, tied to the session."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from unittest import mock

import c2pa
import numpy as np
import pytest

from overlay.cli import main
from overlay.provenance import check_c2pa, check_session
from overlay.provenance.checks import check_log, check_manifest
from overlay.provenance.recording import AIGC_ASSERTION, SOFT_BINDING_ALG, read_mp4_aigc


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    out = tmp_path / "x.mp4"
    code = main(
        ["run", "--source", "synthetic", "--sink", f"file:{out}", "--no-pace", "--json", *extra]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return dict(json.loads(captured.out))


def _boxes(data: bytes) -> dict[bytes, tuple[int, int]]:
    boxes, off = {}, 0
    while off + 8 <= len(data):
        size = int.from_bytes(data[off : off + 4], "big")
        boxes[data[off + 4 : off + 8]] = (off, size)
        off += max(size, 8)
    return boxes


def test_run_makes_a_signed_recording_tied_to_manifest_and_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.mp4"
    assert (
        main(
            ["run", "--source", "synthetic", "--sink", f"file:{out}", "--frames", "40", "--no-pace"]
        )
        == 0
    )
    assert out.exists() and not (tmp_path / "x.partial.mp4").exists()
    # read back with c2pa itself
    with c2pa.Reader(str(out)) as reader:
        assert reader.get_validation_state() == "Valid"
        active = reader.get_active_manifest()
        failures = [
            f["code"] for f in reader.get_validation_results()["activeManifest"].get("failure", [])
        ]
    assert failures == ["signingCredential.untrusted"]  # the local CA is not on a trust list
    labels = {a["label"]: a["data"] for a in active["assertions"]}
    actions = labels["c2pa.actions.v2"]["actions"]
    assert [a["action"] for a in actions] == ["c2pa.created", "c2pa.watermarked"]
    assert actions[0]["digitalSourceType"].startswith(
        "http://cv.iptc.org/newscodes/digitalsourcetype/"
    )
    binding = labels["c2pa.soft-binding"]
    assert binding["alg"] == SOFT_BINDING_ALG
    sid = binding["blocks"][0]["value"]
    assert labels[AIGC_ASSERTION]["AIGC"]["ProduceID"] == sid
    assert read_mp4_aigc(out) == labels[AIGC_ASSERTION]["AIGC"]
    # one session id across recording, manifest and log
    rec = check_c2pa(out)
    assert rec.valid, rec.reason
    assert rec.manifest_checked and rec.untrusted and rec.session_id == sid
    session = check_session(sid)
    assert session.manifest.valid and session.manifest.complete
    assert session.log.valid and session.log.frames == 40
    assert session.manifest.body["recordings"][0]["file"] == "x.mp4"
    assert session.log.session_id == sid == session.manifest.session_id
    # nothing provenance wrote is readable by group or others
    config, data = Path(os.environ["OVERLAY_CONFIG_DIR"]), Path(os.environ["OVERLAY_DATA_DIR"])
    for path in [*config.rglob("*.key"), *(data / "sessions").iterdir()]:
        assert path.stat().st_mode & 0o077 == 0, path
    # Ed25519 key, CA key, C2PA signer key, the watermark key
    assert len(list(config.rglob("*.key"))) == 4


def test_unsigned_and_missing_recordings_are_results(tmp_path: Path) -> None:
    import cv2

    plain = tmp_path / "plain.mp4"
    writer = cv2.VideoWriter(str(plain), cv2.VideoWriter.fourcc(*"mp4v"), 10, (32, 24))
    for _ in range(3):
        writer.write(np.zeros((24, 32, 3), np.uint8))
    writer.release()
    result = check_c2pa(plain)
    assert not result.valid and "no C2PA manifest" in result.reason
    assert read_mp4_aigc(plain) is None
    missing = check_c2pa(tmp_path / "gone.mp4")
    assert not missing.valid and "not found" in missing.reason
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01garbage" * 10)
    assert not check_c2pa(junk).valid


def test_flipped_bytes_of_a_signed_recording_are_detected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every byte of the boxes C2PA's own hash leaves out (ftyp, free), every 2nd byte of
    the C2PA manifest and moov, every 16th of the media data (a full sweep takes ~100 s)."""
    info = _run(tmp_path, capsys, "--frames", "4", "--size", "160x120")
    path = tmp_path / "x.mp4"
    data = path.read_bytes()
    assert check_c2pa(path).valid
    boxes = _boxes(data)
    assert {b"ftyp", b"uuid", b"mdat", b"moov"} <= set(boxes), boxes.keys()
    positions: set[int] = set()
    for name, (off, size) in boxes.items():
        step = {b"ftyp": 1, b"free": 1, b"uuid": 2, b"moov": 2}.get(name, 16)
        positions.update(range(off, off + size, step))
        positions.update(range(off, off + 8))  # every box header byte
    tampered = tmp_path / "t.mp4"
    undetected = []
    for i in sorted(positions):
        changed = bytearray(data)
        changed[i] ^= 0x01
        tampered.write_bytes(bytes(changed))
        result = check_c2pa(tampered, info["manifest"])
        if result.valid or not result.reason:
            undetected.append(i)
    assert undetected == [], f"{len(undetected)} of {len(positions)} flips not detected"
    assert len(positions) > 1000


def test_session_manifest_catches_what_c2pa_leaves_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """C2PA alone accepts a changed ftyp byte; the session manifest's file hash does not."""
    info = _run(tmp_path, capsys, "--frames", "4", "--size", "160x120")
    path = tmp_path / "x.mp4"
    data = bytearray(path.read_bytes())
    data[20] ^= 0x01  # a compatible brand in ftyp
    path.write_bytes(bytes(data))
    with c2pa.Reader(str(path)) as reader:
        assert reader.get_validation_state() == "Valid"
    result = check_c2pa(path, info["manifest"])
    assert not result.valid and "SHA-256" in result.reason


def test_manifest_and_log_paths_in_run_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = _run(tmp_path, capsys, "--frames", "3", "--size", "160x120")
    assert check_manifest(info["manifest"]).session_id == info["session_id"]
    assert check_log(info["log"]).valid


def test_failed_signing_keeps_the_unsigned_file_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.mp4"
    with mock.patch("c2pa.Builder.sign", side_effect=c2pa.C2paError("injected")):
        code = main(
            [
                "run",
                "--source",
                "synthetic",
                "--sink",
                f"file:{out}",
                "--frames",
                "3",
                "--no-pace",
                "--size",
                "160x120",
            ]
        )
    err = capsys.readouterr().err
    assert code == 2
    assert "signing the recording" in err and "injected" in err and "Traceback" not in err
    assert not out.exists()  # never published unsigned under the final name
    assert (tmp_path / "x.partial.mp4").exists()
    assert not list(tmp_path.glob("*.aigc.mp4")) and not list(tmp_path.glob("*.c2pa.mp4"))


def test_reencoded_copy_is_matched_to_its_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import av

    from overlay.provenance.checks import match_recording

    info = _run(tmp_path, capsys, "--frames", "30", "--size", "320x240")
    copy = tmp_path / "copy.mp4"
    with av.open(str(tmp_path / "x.mp4")) as src, av.open(str(copy), "w") as dst:
        stream = dst.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 240, 180, "yuv420p"
        stream.options = {"crf": "30", "preset": "ultrafast"}
        for frame in src.decode(video=0):
            small = frame.reformat(width=240, height=180, format="yuv420p")
            small.pts = None
            for packet in stream.encode(small):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    result = match_recording(copy, info["log"])
    assert result.valid, result.reason
    assert result.frames == 30 and result.session_id == info["session_id"]
    # the negative twin: other content does not match
    other = tmp_path / "other.mp4"
    import cv2

    writer = cv2.VideoWriter(str(other), cv2.VideoWriter.fourcc(*"mp4v"), 30, (320, 240))
    rng = np.random.default_rng(3)
    for _ in range(20):
        writer.write(
            cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (31, 31), 8)
        )
    writer.release()
    miss = match_recording(other, info["log"])
    assert not miss.valid and "match the log" in miss.reason


def test_a_cut_log_is_reported_and_its_intact_records_still_match(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from overlay.provenance.checks import match_recording

    info = _run(tmp_path, capsys, "--frames", "30", "--size", "320x240")
    log = Path(info["log"])
    assert match_recording(tmp_path / "x.mp4", log).valid
    data = log.read_bytes()
    log.write_bytes(data[: len(data) - 40])  # the session "crashed" inside its end record
    match = match_recording(tmp_path / "x.mp4", log)
    assert match.valid and match.matched == 30, match.reason
    code = main(["verify", str(tmp_path / "x.mp4"), "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 3 and "Traceback" not in captured.err
    assert (
        not report["log"]["valid"] and report["log"]["first_broken"]["reason"] == "cut mid-record"
    )
    assert report["frames"]["valid"]


def test_unreadable_likeness_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "run",
            "--source",
            "synthetic",
            "--sink",
            "null",
            "--frames",
            "2",
            "--no-pace",
            "--likeness",
            str(tmp_path / "nobody.png"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "nobody.png" in err[-1] and "Traceback" not in "".join(err)
    code = main(
        [
            "run",
            "--source",
            "synthetic",
            "--sink",
            "null",
            "--frames",
            "2",
            "--no-pace",
            "--digital-source-type",
            "madeUp",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "madeUp" in err[-1]


def test_provenance_report_ties_file_manifest_and_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from overlay.provenance import provenance_report

    info = _run(tmp_path, capsys, "--frames", "5", "--size", "160x120")
    report = provenance_report(tmp_path / "x.mp4", session_id=info["session_id"])
    assert json.loads(json.dumps(report.to_dict()))["session_id"] == info["session_id"]
    assert report.session_id == info["session_id"]
    for part in (report.manifest, report.log, report.c2pa, report.watermark_session):
        assert part is not None and part.valid, (part, part and part.reason)
    assert report.manifest.summary["AIGC"]["ProduceID"] == info["session_id"]
    other = "0" * 8 if info["session_id"] != "0" * 8 else "1" * 8
    wrong = provenance_report(tmp_path / "x.mp4", session_id=other)
    assert not wrong.manifest.valid and "no session manifest" in wrong.manifest.reason
    given = provenance_report(tmp_path / "x.mp4", session_id=other, manifest=info["manifest"])
    # A genuine manifest of another session than the watermark's is reported as not matching.
    assert not given.manifest.valid and "is for session" in given.manifest.reason
    assert not given.watermark_session.valid
    nothing = provenance_report(None)
    assert not nothing.c2pa.valid and not nothing.manifest.valid


def _top_boxes(path: Path) -> list[bytes]:
    data, names, off = path.read_bytes(), [], 0
    while off + 8 <= len(data):
        size = int.from_bytes(data[off : off + 4], "big")
        names.append(data[off + 4 : off + 8])
        off += max(size, 8)
    return names


def test_signed_recording_is_h264_high_with_the_index_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import av

    info = _run(tmp_path, capsys, "--frames", "45", "--size", "320x240")
    out = tmp_path / "x.mp4"
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.name, v.codec_context.profile) == ("h264", "High")
        assert v.codec_context.pix_fmt == "yuv420p" and v.average_rate == 30
        assert sum(1 for _ in c.decode(v)) == 45
    boxes = _top_boxes(out)
    # signing remuxed the fragmented recording into one plain, +faststart file
    assert boxes.index(b"moov") < boxes.index(b"mdat") and b"moof" not in boxes
    assert check_c2pa(out, info["manifest"]).valid
    (rec,) = check_session(info["session_id"]).manifest.body["recordings"]
    assert rec["frames"] == 45 and rec["frames_dropped"] == 0 and rec["c2pa"] is True


def test_lossless_mkv_frames_match_the_log_digests_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import av

    from overlay.provenance.framelog import frame_digest

    out = tmp_path / "x.mkv"
    args = ["--sink", f"file:{out}", "--no-pace", "--json", "--frames", "20", "--size", "160x120"]
    code = main(["run", "--source", "synthetic", "--no-face-tag", *args])
    info = json.loads(capsys.readouterr().out)
    assert code == 0
    with av.open(str(out)) as c:
        digests = [frame_digest(f.to_ndarray(format="bgr24")) for f in c.decode(video=0)]
        assert json.loads(c.metadata["AIGC"])["ProduceID"] == info["session_id"]
    logged = [
        d
        for line in Path(info["log"]).read_text().splitlines()
        if json.loads(line)["type"] == "frames"
        for d in json.loads(line)["digests"]
    ]
    assert digests == logged and len(digests) == 20
    (rec,) = check_session(info["session_id"]).manifest.body["recordings"]
    assert rec["file"] == "x.mkv" and rec["c2pa"] is False
    from overlay.hashing import sha256_file

    assert rec["sha256"] == sha256_file(out)
    # the twin: an H.264 recording's frames never match exact digests, so a session with
    # only lossy outputs keeps none (perceptual hashes only); its log is still valid
    h264 = _run(tmp_path, capsys, "--frames", "5", "--size", "160x120")
    records = [json.loads(line) for line in Path(h264["log"]).read_text().splitlines()]
    assert records[0]["digest"].startswith("none")
    frames = [r for r in records if r["type"] == "frames"]
    assert frames and all(r["digests"] is None and len(r["phash"]) for r in frames)
    assert check_log(h264["log"]).valid


def test_the_frame_log_hashes_off_the_pipeline_thread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    from overlay.provenance.framelog import FrameLog

    threads: set[str] = set()
    real_add = FrameLog.add

    def noting_add(self: FrameLog, *args: Any, **kw: Any) -> None:
        threads.add(threading.current_thread().name)
        real_add(self, *args, **kw)

    with mock.patch.object(FrameLog, "add", noting_add):
        info = _run(tmp_path, capsys, "--frames", "20", "--size", "160x120")
    assert threads == {"overlay-sink:provenance (own thread)"}
    assert threading.main_thread().name not in threads
    # every frame sent is in the log, in order
    assert check_log(info["log"]).frames == 20 == info["frames"]
