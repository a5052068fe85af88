"""The cycle collector paused around work that makes many objects and no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a big import or review runs (a decorator
    too; nested pauses are fine).

    A big sheet makes millions of short-lived containers and no reference cycles, so
    the collector's passes (some over the whole heap) cost time and free nothing;
    reference counting frees them. (XlsxWriter's workbook, once saved, is the exception:
    its objects point at each other, and the collector frees them when it runs again.)
    On 20,000 rows the collector took 0.22 s of a 2.8 s import, and 0.07 s with this
    pause around the read; paused for the whole import as well (interpreting and
    storing the rows), a CLI import took 1.11-1.26 s instead of 1.25-1.44 s. It was
    0.37-0.78 s of CPU while the review of 2,000 x 6 was written.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
