"""Error types raised by the fail2ban configuration reader."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InterpolationError",
    "NoOptionError",
    "NoSectionError",
    "OptionSyntaxError",
    "TagSubstitutionError",
]


class ConfigError(Exception):
    """A problem in the fail2ban configuration.

    ``file`` and ``line`` locate the offending text when it is known; the string form of
    the error always starts with ``"<file>:<line>: "`` in that case, so the message
    names both.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}: {self.message}"
        if self.file is not None:
            return f"{self.file}: {self.message}"
        return self.message


class NoSectionError(ConfigError):
    """A section that was asked for does not exist."""

    def __init__(self, section: str) -> None:
        self.section = section
        super().__init__(f"No section: {section!r}")


class NoOptionError(ConfigError):
    """An option that was asked for does not exist in the section (nor in DEFAULT)."""

    def __init__(self, option: str, section: str) -> None:
        self.option = option
        self.section = section
        super().__init__(f"No option {option!r} in section: {section!r}")


class InterpolationError(ConfigError):
    """A ``%(name)s`` reference could not be resolved."""


class TagSubstitutionError(ConfigError):
    """A ``<tag>`` definition refers to itself (directly or through other tags)."""


class OptionSyntaxError(ConfigError, ValueError):
    """A ``name[key=value, ...]`` specification could not be parsed."""
