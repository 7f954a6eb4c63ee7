"""JSON string escapes: what each decoded character was written as, and how to write new text
in the notebook's own style (ensure_ascii on or off, `\\/`, upper- or lower-case hex)."""
from __future__ import annotations

import re
from dataclasses import dataclass

# One decoded character per match: an escaped surrogate pair, any other escape, or one character.
_RAW_CHAR = re.compile(r'\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.|.', re.S)
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
# The escapes that tell a writer's style; an escaped backslash is matched too, to stay in step.
_TELLING_ESCAPE = re.compile(r'\\(?:\\|/|u([0-9a-fA-F]{4}))')


def raw_chars(token: str, value: str) -> list[str]:
    """The raw text of each character of `value`, from its token (quotes included)."""
    chunks = _RAW_CHAR.findall(token, 1, len(token) - 1)
    if len(chunks) != len(value):
        raise ValueError("string token does not match its value")
    return chunks


@dataclass(frozen=True)
class EscapeStyle:
    ascii: bool = False  # non-ASCII characters written as \uXXXX (json.dumps' ensure_ascii)
    slash: bool = False  # '/' written as '\/'
    upper: bool = False  # \u00E9 rather than \u00e9

    @classmethod
    def of(cls, *texts: str) -> "EscapeStyle":
        """The style a notebook's writer used, read from `texts` (raw JSON), the first ones first:
        each setting is decided by the first text that shows it, the rest only read if needed."""
        found: dict = {}
        for text in texts:
            if "ascii" not in found and not text.isascii():
                found["ascii"] = False
            escaped_slashes = 0
            for m in _TELLING_ESCAPE.finditer(text):
                hexes = m.group(1)
                if hexes is None:
                    if m.group() == "\\/":
                        escaped_slashes += 1
                        found.setdefault("slash", True)
                    continue
                if "upper" not in found and hexes.lower() != hexes.upper():
                    found["upper"] = hexes == hexes.upper()
                if int(hexes, 16) > 0x7E:
                    found.setdefault("ascii", True)
                if len(found) == 3:
                    break
            if "slash" not in found and text.count("/") > escaped_slashes:
                found["slash"] = False  # a slash written as it is
            if len(found) == 3:
                break
        return cls(found.get("ascii", False), found.get("slash", False), found.get("upper", False))

    def encode(self, text: str) -> str:
        """`text` as the inside of a JSON string token."""
        out = []
        for ch in text:
            code = ord(ch)
            if ch in _SHORT:
                out.append(_SHORT[ch])
            elif code < 0x20 or (self.ascii and code > 0x7E):
                out.append(self._u(code))
            elif ch == "/" and self.slash:
                out.append("\\/")
            else:
                out.append(ch)
        return "".join(out)

    def _u(self, code: int) -> str:
        if code > 0xFFFF:
            code -= 0x10000
            return self._u(0xD800 + (code >> 10)) + self._u(0xDC00 + (code & 0x3FF))
        return ("\\u%04X" if self.upper else "\\u%04x") % code
