"""Duban (督办): task assignment and reminders for leading-group offices."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("duban")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
