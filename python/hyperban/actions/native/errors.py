"""The one exception native actions raise for set-up problems."""

from __future__ import annotations

__all__ = ["NativeActionError"]


class NativeActionError(RuntimeError):
    """A native action cannot work: missing binary, bad parameter, firewall refused set-up."""
