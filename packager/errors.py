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


class MissingVideo(ArticleError):
    """An article without a video while clips are off: counted apart in a build's last line."""

    def __init__(self, source: str):
        super().__init__(source, "video", "is required: give url and duration (seconds), or set [clips] "
                                          "render = \"missing\" (the default) to make a clip of the photos")


class FeedReadError(PackagerError):
    """A feed given to the validator can't be read or isn't JSON (exit 2)."""


class PublishError(PackagerError):
    """Publishing failed; the live feed is left as it was."""


def excerpt(value, limit: int = 60) -> str:
    """A short, escaped quote of a user's value for an error message: at most about `limit`
    characters, built without ever making the full repr (a YAML alias bomb of a few hundred
    bytes expands to gigabytes; a recursive one never ends)."""
    parts: list[str] = []
    budget = [max(limit, 8) + 1]  # one over: tells "fits" from "cut"

    def put(text: str) -> bool:
        parts.append(text[:budget[0]])
        budget[0] -= len(text)
        return budget[0] > 0

    def walk(v, seen: frozenset) -> bool:
        if budget[0] <= 0:
            return False
        if isinstance(v, str):
            quoted = repr(v[:budget[0]])
            return put(quoted if len(v) <= budget[0] else quoted[:-1])
        if isinstance(v, (bytes, bytearray)):
            return put(repr(bytes(v[:budget[0]])))
        if isinstance(v, (bool, float, type(None))):
            return put(repr(v))
        if isinstance(v, int):
            try:
                return put(repr(v))
            except ValueError:  # more digits than Python will print
                return put(f"<an integer of about {int(v.bit_length() * 0.30103)} digits>")
        if id(v) in seen:
            return put("...")
        seen = seen | {id(v)}
        if isinstance(v, dict):
            if not put("{"):
                return False
            for i, (k, item) in enumerate(v.items()):
                if (i and not put(", ")) or not walk(k, seen) or not put(": ") or not walk(item, seen):
                    return False
            return put("}")
        if isinstance(v, (list, tuple, set, frozenset)):
            open_, close = ("[", "]") if isinstance(v, list) else ("(", ")") if isinstance(v, tuple) else ("{", "}")
            if not put(open_):
                return False
            for i, item in enumerate(v):
                if (i and not put(", ")) or not walk(item, seen):
                    return False
            return put(close)
        return put(f"<{type(v).__name__}>")  # never call an arbitrary object's repr

    walk(value, frozenset())
    text = "".join(parts)
    if budget[0] <= 0:
        text = text[:limit] + "..."
    return text
