"""Test plugin: sets one attribute on every record.

The Python twin of `tests/plugins/add-attribute` (Rust). Both must behave the
same byte for byte, so that a test can load either and expect one result: the
config is parsed by hand the way the Rust one parses it (not with `tomllib`,
whose errors and accepted syntax differ), and `process` writes the same column.

Built with componentize-py against `wit/plugin.wit`; `wit_world` is the module
it generates at build time (see `build.sh`).
"""

import wit_world
from componentize_py_types import Err
from wit_world.imports.batch import Column, Key, PackedStrings, Records, Scope, Signal, ValueKind

# Rust's `str::trim` strips Unicode White_Space; Python's `str.strip()` also strips
# U+001C..U+001F, so spell the set out to trim exactly what the Rust twin trims.
_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _lines(text: str) -> list[str]:
    """Rust's `str::lines`: split on `\\n` only, dropping one trailing `\\r` per line."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _field(config: str, name: str) -> str:
    """The value of the first `name = "..."` line, quotes stripped and nothing unescaped.

    Raises `Err` with the Rust twin's message when the field is missing or unquoted.
    """
    for line in _lines(config):
        k, eq, v = line.partition("=")
        if eq and k.strip(_WHITESPACE) == name:
            v = v.strip(_WHITESPACE)
            # `len >= 2` mirrors strip_prefix + strip_suffix: a lone `"` is not quoted.
            if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                return v[1:-1]
            raise Err(f"`{name}` must be a quoted string")
    raise Err(f"missing field `{name}`")


# componentize-py builds a fresh `WitWorld` for every exported call, so whatever
# `init` learns must live at module level for `process` to see it.
_key: Key | None = None
_value: bytes = b""


class WitWorld(wit_world.WitWorld):
    """The exports of the `plugin` world."""

    def init(self, config: str) -> wit_world.Info:
        """Parses the config; a bad one raises `Err`, which the host reports verbatim."""
        global _key, _value
        key, value = _field(config, "key"), _field(config, "value")
        _key, _value = Key(Scope.RECORD, key), value.encode()
        return wit_world.Info("add-attribute", "0.1.0", [Signal.SPAN, Signal.LOG, Signal.METRIC_POINT])

    def process(self, records: Records) -> None:
        """Sets the attribute on every row with one `set-column` call.

        The strings lane is the value repeated once per row, packed: `offsets` has
        n+1 entries starting at 0, or none at all for an empty batch (as the Rust
        SDK's `ColumnBuilder` sends it). The other lanes stay empty.
        """
        if _key is None:
            raise Err("process called before init")  # the Rust SDK's error, not a trap
        n = records.len()
        width = len(_value)
        offsets = [i * width for i in range(n + 1)] if n else []
        column = Column([ValueKind.STR] * n, PackedStrings(_value * n, offsets), [], [], [])
        records.set_column(_key, column)  # raises `Err(str)`, which becomes our own error
