"""``python -m kerasguide``: the same command line as ``kerasguide``."""

from kerasguide.cli import main

raise SystemExit(main())
