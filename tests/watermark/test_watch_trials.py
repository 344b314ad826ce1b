"""The appear/disappear trials of ``benchmarks/watch.py`` (part a): what each call is sent.

A feed that appears in a call arrives as a stream of its own (from a key frame); the
trials send each feed through its own call unless ``same_stream`` asks for the older
design (the watermark switched on and off inside one stream), which the twin checks.
"""

from __future__ import annotations

import numpy as np

from overlay.frames import BGRImage

A, B, TOTAL = 5, 11, 17


def clip(first: int, n: int = 20) -> list[BGRImage]:
    """``n`` tiny frames whose grey level names the clip and the frame index."""
    return [np.full((4, 4, 3), first + i, np.uint8) for i in range(n)]


def labels(stream: list[BGRImage]) -> list[int]:
    return [int(f[0, 0, 0]) for f in stream]


PLAIN, MARKED = clip(0), clip(100)


def test_each_feed_is_a_stream_of_its_own() -> None:
    from benchmarks.watch import feeds

    streams = feeds(PLAIN, MARKED, A, B, TOTAL)
    assert [labels(s) for s in streams] == [
        list(range(A)),
        list(range(100 + A, 100 + B)),
        list(range(B, TOTAL)),
    ]


def test_same_stream_sends_the_feeds_in_one_stream() -> None:
    from benchmarks.watch import feeds

    streams = feeds(PLAIN, MARKED, A, B, TOTAL, same_stream=True)
    assert len(streams) == 1
    assert labels(streams[0]) == [
        *range(A),
        *range(100 + A, 100 + B),
        *range(B, TOTAL),
    ]
