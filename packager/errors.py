"""Error types. Every error a user can cause carries one line that names the file or item,
the field, and what to do; the CLI prints it without a traceback."""


import reprlib


class PackagerError(Exception):
    """A user-facing problem: the message is the whole explanation."""


class ConfigError(PackagerError):
    """channel.toml is missing, unreadable or wrong (exit 2: the channel can't be read)."""


class ArticleError(PackagerError):
    """One article can't be packaged; the build skips it and goes on."""

    def __init__(self, source: str, field: str | None, message: str):
        self.source = source
        self.field = field
        self.detail = message
        where = f"{source}: {field}: " if field else f"{source}: "
        super().__init__(where + message)


class FeedReadError(PackagerError):
    """A feed given to the validator can't be read or isn't JSON (exit 2)."""


class PublishError(PackagerError):
    """Publishing failed; the live feed is left as it was."""


class _Short(reprlib.Repr):
    """reprlib with tight limits that never asks a huge int for all its digits."""

    def __init__(self, limit: int):
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict = 2, 6, 6, 4
        self.maxstring = self.maxother = limit
        self.maxlong = 40

    def repr_int(self, x, level):
        if x.bit_length() > 128:
            return f"<a number of about {int(x.bit_length() * 0.30103)} digits>"
        return super().repr_int(x, level)


def excerpt(value, limit: int = 60) -> str:
    """A short, escaped quotation of a user's value for a one-line message. Never builds the
    whole repr of a huge value (a YAML alias bomb expands to gigabytes; a 5,000-digit number
    can't even be turned into text), so it is safe on anything a parser returned."""
    text = _Short(limit).repr(value)
    return text if len(text) <= 2 * limit else text[:2 * limit] + "…"
