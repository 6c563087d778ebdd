"""The built course website that the site tests read, waited for while ``make test`` makes it.

``make test`` makes the site from the executed notebooks while pytest starts its
workers (one process beside them) and names, in ``KERASGUIDE_SITE_STATUS``, the file it
writes mkdocs's exit status to when it is done (its log beside it, ``.log``). The site
tests wait here for that file and fail, with the log, if making the site failed.
``make site`` and ``make site-check`` make the site first and set no status file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

SITE = os.environ.get("KERASGUIDE_SITE")
STATUS = os.environ.get("KERASGUIDE_SITE_STATUS")


def wait_for_site(*, seconds: float = 600.0) -> Path | None:
    """The site's folder once it is made, or None when there is no site to read."""
    if not SITE:
        return None
    if STATUS:
        status = Path(STATUS)
        deadline = time.monotonic() + seconds
        while not status.is_file():
            if time.monotonic() > deadline:
                pytest.fail(f"the site was not made within {seconds:.0f} s: no {status}")
            time.sleep(0.2)
        code = status.read_text(encoding="utf-8").strip()
        if code != "0":
            log = status.with_suffix(".log")
            told = log.read_text(encoding="utf-8") if log.is_file() else "(no log)"
            pytest.fail(f"making the site failed (exit status {code}):\n{told}")
    return Path(SITE)
