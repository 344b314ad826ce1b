"""Signed recordings: the GB 45438 ``AIGC`` metadata in the mp4 and a C2PA manifest.

``sign_recording(path, info)`` runs on a finished ``X.partial.mp4`` (a FileSink finalizer):

1. a stream-copy remux (PyAV) of the fragmented recording into a plain MP4 with the index
   first (``+faststart``: ``moov`` before ``mdat``, so a browser plays it while it
   downloads) that writes the ``AIGC`` JSON as an mp4 metadata tag
   (``moov/udta/meta``, key ``AIGC``; ffprobe and PyAV show it as a format tag);
2. a C2PA manifest signed with the local certificate (``c2pa.created`` with the IPTC
   digitalSourceType, ``c2pa.watermarked``, a ``c2pa.soft-binding`` assertion naming the
   session id the watermark carries, and ``com.overlay.aigc`` holding the AIGC object).

The certificate is an ES256 leaf (emailProtection EKU, as c2pa requires) issued by a CA
generated on first use in ``config_dir()/c2pa/`` (private keys mode 0600). Readers report
such a file as ``Valid`` with ``signingCredential.untrusted``: the CA is not on C2PA's
trust list. Production signing needs a certificate from a CA on that list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from overlay import __version__, paths
from overlay.errors import ProvenanceError
from overlay.provenance._files import check_private, write_atomic, write_private

__all__ = [
    "AIGC_ASSERTION",
    "SOFT_BINDING_ALG",
    "RecordingInfo",
    "c2pa_manifest",
    "ensure_certificate",
    "read_mp4_aigc",
    "sign_recording",
]

log = logging.getLogger(__name__)

AIGC_ASSERTION = "com.overlay.aigc"
#: Our watermark's soft-binding algorithm name (not on the C2PA soft-binding list).
SOFT_BINDING_ALG = "com.overlay.session-watermark.1"
_LEAF_DAYS = 365
_CA_DAYS = 3650


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What a recording's C2PA manifest states.

    Attributes:
        session_id: the session (the watermark's payload).
        digital_source_type: IPTC digitalSourceType URI.
        aigc: the GB 45438 ``AIGC`` object.
        frames: frames recorded.
        fps: frames per second.
        watermark_key_id: id of the watermark key, if known.
    """

    session_id: str
    digital_source_type: str
    aigc: dict[str, str]
    frames: int
    fps: float
    watermark_key_id: str | None = None


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "overlay (local, untrusted)"),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _key_usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    check_private(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ProvenanceError(f"{path} is not an EC private key; delete the c2pa folder")
    return key


def _make_ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("overlay local C2PA CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    (folder / "ca.key").unlink(missing_ok=True)
    write_private(folder / "ca.key", _pem_key(key))
    write_atomic(folder / "ca.pem", cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _make_leaf(folder: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey) -> None:
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("overlay recording signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        # c2pa accepts a leaf only with one of its EKUs; emailProtection is one of them.
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "signer.key").unlink(missing_ok=True)
    write_private(folder / "signer.key", _pem_key(key))
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(
        serialization.Encoding.PEM
    )
    write_atomic(folder / "signer.pem", chain)


def ensure_certificate() -> tuple[bytes, bytes]:
    """The signing chain (leaf + CA, PEM) and the leaf's private key (PEM).

    Made on first use, and the leaf again when it expires within a day.
    """
    folder = paths.config_dir() / "c2pa"
    folder.mkdir(mode=0o700, exist_ok=True)
    try:
        if (folder / "ca.pem").exists() and (folder / "ca.key").exists():
            ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
            ca_key = _load_key(folder / "ca.key")
            if ca.not_valid_after_utc < dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
                ca, ca_key = _make_ca(folder)
                (folder / "signer.pem").unlink(missing_ok=True)
        else:
            ca, ca_key = _make_ca(folder)
            (folder / "signer.pem").unlink(missing_ok=True)
        leaf_pem = folder / "signer.pem"
        if not leaf_pem.exists() or not (folder / "signer.key").exists():
            _make_leaf(folder, ca, ca_key)
        else:
            leaf = x509.load_pem_x509_certificate(leaf_pem.read_bytes())
            if leaf.not_valid_after_utc < dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
                _make_leaf(folder, ca, ca_key)
        _load_key(folder / "signer.key")  # mode check
        return leaf_pem.read_bytes(), (folder / "signer.key").read_bytes()
    except ValueError as exc:
        raise ProvenanceError(
            f"the C2PA certificate in {folder} is damaged ({exc}); delete that folder to "
            "make a new one"
        ) from None


def c2pa_manifest(title: str, info: RecordingInfo) -> dict[str, Any]:
    """The C2PA manifest definition for a recording."""
    agent = {"name": "overlay", "version": __version__}
    end_ms = round(info.frames / info.fps * 1000) if info.fps > 0 else 0
    return {
        "claim_generator_info": [agent],
        "title": title,
        "format": "video/mp4",
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": info.digital_source_type,
                            "softwareAgent": agent,
                        },
                        {
                            "action": "c2pa.watermarked",
                            "softwareAgent": agent,
                            "parameters": {
                                "description": "invisible watermark in the luma of every "
                                "frame carrying the session id; a visible AI-generated "
                                "banner and per-frame mark",
                                "com.overlay.session_id": info.session_id,
                            },
                        },
                    ]
                },
            },
            {
                "label": "c2pa.soft-binding",
                "data": {
                    "alg": SOFT_BINDING_ALG,
                    "name": "overlay session watermark (session id, 32 bits)",
                    "alg_params": json.dumps(
                        {"watermark_key_id": info.watermark_key_id}, separators=(",", ":")
                    ),
                    "pad": [0],
                    "blocks": [
                        {
                            "scope": {"timespan": {"start": 0, "end": end_ms}},
                            "value": info.session_id,
                        }
                    ],
                },
            },
            {
                "label": AIGC_ASSERTION,
                "data": {"AIGC": info.aigc, "standard": "GB 45438-2025"},
            },
        ],
    }


def _remux_with_aigc(src: Path, dst: Path, aigc: dict[str, str]) -> None:
    import av

    text = json.dumps(aigc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # use_metadata_tags: the mp4 muxer writes keys it does not know (AIGC) as mdta tags.
    options = {"movflags": "use_metadata_tags+faststart"}
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4", options=options) as out:
        out.metadata["AIGC"] = text
        streams = {}
        for s in inp.streams:
            if s.type in ("video", "audio"):
                streams[s.index] = out.add_stream_from_template(s)
        for packet in inp.demux(*[inp.streams[i] for i in streams]):
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)


def read_mp4_aigc(path: Path) -> dict[str, Any] | None:
    """The ``AIGC`` object in the mp4's own metadata, or None (absent or unreadable)."""
    try:
        import av

        with av.open(str(path)) as c:
            text = c.metadata.get("AIGC")
        value = json.loads(text) if text else None
    except Exception:  # a damaged file has no readable metadata: a result, not an error
        return None
    return value if isinstance(value, dict) else None


def sign_recording(path: Path, info: RecordingInfo, *, title: str | None = None) -> None:
    """Write the AIGC metadata into ``path`` and sign it with C2PA, in place.

    Raises:
        ProvenanceError: remuxing or signing failed (``path`` is left as it was).
    """
    import c2pa

    chain, key = ensure_certificate()
    meta = path.with_name(path.stem + ".aigc.mp4")
    signed = path.with_name(path.stem + ".c2pa.mp4")
    try:
        _remux_with_aigc(path, meta, info.aigc)
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, key, None)
        )
        try:
            builder = c2pa.Builder(c2pa_manifest(title or path.name, info))
            with builder, meta.open("rb") as source, signed.open("w+b") as dest:
                builder.sign(signer, "video/mp4", source, dest)
                dest.flush()
                os.fsync(dest.fileno())
        finally:
            signer.close()
        os.replace(signed, path)
    except ProvenanceError:
        raise
    except Exception as exc:
        raise ProvenanceError(
            f"signing the recording {path} failed: {exc}; the unsigned file is kept"
        ) from exc
    finally:
        for tmp in (meta, signed):
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    log.debug("signed %s (C2PA, AIGC metadata)", path)
