"""What a session declares: the IPTC digitalSourceType, and whether consent is needed.

Rules (by the source's ``origin`` and what the user declares with ``--declare``):

==============  ================================
origin          default digitalSourceType
==============  ================================
camera          compositeWithTrainedAlgorithmic…
generator       compositeWithTrainedAlgorithmic…
synthetic       trainedAlgorithmicMedia
                (``synthetic`` test scene:
                algorithmicMedia)
media (file:)   compositeWithTrainedAlgorithmic…
==============  ================================

A consent record is needed whenever a likeness image is given (``--likeness``), and a
source declared face-swap output (``--declare face-swap``, any origin) must name the
likeness it shows, so it always needs one.

``--declare face-swap`` (composite), ``avatar`` (trainedAlgorithmicMedia) and
``generated`` (trainedAlgorithmicMedia, no real person's likeness) override the default;
``--digital-source-type`` states the type outright. A camera may be another tool's virtual
camera, so the camera default is also an AI type: overlay's output always carries an
"AI-generated" banner and its metadata must not say otherwise unless the user states it.
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay.errors import ConfigError, ConsentError

__all__ = ["DECLARATIONS", "DIGITAL_SOURCE_TYPES", "Disclosure", "decide", "dst_uri"]

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"

#: The IPTC terms a user may state (short name -> full URI).
DIGITAL_SOURCE_TYPES = {
    name: IPTC + name
    for name in (
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "algorithmicMedia",
        "compositeSynthetic",
        "algorithmicallyEnhanced",
        "digitalCapture",
        "computationalCapture",
        "screenCapture",
        "virtualRecording",
        "composite",
        "digitalCreation",
    )
}

COMPOSITE = "compositeWithTrainedAlgorithmicMedia"
TRAINED = "trainedAlgorithmicMedia"

#: ``--declare`` values -> the digitalSourceType they imply.
DECLARATIONS = {"face-swap": COMPOSITE, "avatar": TRAINED, "generated": TRAINED}


def dst_uri(name: str) -> str:
    """The full IPTC URI for a short name (or a full URI of a known term).

    Raises:
        ConfigError: an unknown term.
    """
    short = name.removeprefix(IPTC)
    if short not in DIGITAL_SOURCE_TYPES:
        raise ConfigError(
            f"unknown digital source type {name!r}; use one of: {', '.join(DIGITAL_SOURCE_TYPES)}"
        )
    return DIGITAL_SOURCE_TYPES[short]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """The session's declaration.

    Attributes:
        digital_source_type: full IPTC URI.
        stated: the user gave it (``--digital-source-type`` or ``--declare``).
        declared: the ``--declare`` value, if any.
        consent_needed: a consent record must match the likeness before the session starts.
        why: why consent is needed (for messages and the manifest).
    """

    digital_source_type: str
    stated: bool
    declared: str | None
    consent_needed: bool
    why: str | None


def decide(
    *,
    origin: str,
    source_name: str,
    source_spec: str,
    likeness: str | None,
    declared: str | None = None,
    declared_generator: bool = False,
    digital_source_type: str | None = None,
) -> Disclosure:
    """Apply the rules above.

    Raises:
        ConfigError: an unknown ``declared`` or ``digital_source_type``.
        ConsentError: face-swap output with no ``likeness`` to check consent against.
    """
    if declared is None and declared_generator:
        declared = "face-swap"
    if declared is not None and declared not in DECLARATIONS:
        raise ConfigError(
            f"--declare {declared!r} is unknown; use one of: {', '.join(DECLARATIONS)}"
        )
    if digital_source_type:
        dst, stated = dst_uri(digital_source_type), True
    elif declared:
        dst, stated = dst_uri(DECLARATIONS[declared]), True
    elif origin == "synthetic":
        dst, stated = dst_uri("algorithmicMedia" if source_name == "synthetic" else TRAINED), False
    else:
        dst, stated = dst_uri(COMPOSITE), False

    why: str | None = None
    if likeness:
        why = "a likeness image was given"
    elif declared == "face-swap":
        why = f"{source_spec} is declared face-swap output"
    if why and not likeness:
        raise ConsentError(
            f"{why}: name the person it shows with --likeness IMAGE (a consent record for "
            "that image is needed: overlay consent add --likeness IMAGE ...)"
        )
    return Disclosure(dst, stated, declared, why is not None, why)
