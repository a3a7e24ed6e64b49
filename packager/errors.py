"""Error types. Every error a user can cause carries one line that names the file or item,
the field, and what to do; the CLI prints it without a traceback."""


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
