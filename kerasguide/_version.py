__version__ = "0.1.0"
"""kerasguide's version, as its wheel and ``kerasguide --version`` give it."""
