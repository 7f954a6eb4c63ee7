"""Decoding a Python file exactly as Python would, and encoding it back byte for byte."""
from __future__ import annotations

import bisect
import codecs
import io
import re
import tokenize
from dataclasses import dataclass

# Python's tokenizer ends a line at \r\n, \r or \n, and nowhere else (unlike str.splitlines).
_NEWLINE = re.compile(r"\r\n?|\n")
_LF = re.compile("\n")


class DecodeError(Exception):
    """The bytes cannot be decoded, or would not come back identical after encoding."""


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str  # a codec name; a UTF-8 BOM is kept separately in `bom`
    bom: bool

    @property
    def codec(self) -> str:
        """A codec that turns the text back into the file's bytes, BOM included."""
        return "utf-8-sig" if self.bom else self.encoding

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def decode(data: bytes) -> SourceText:
    """Decode with the PEP 263 cookie or BOM; refuse encodings that do not round-trip."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeError(str(exc)) from None
    bom = encoding == "utf-8-sig"
    body = data[len(codecs.BOM_UTF8):] if bom else data
    codec = "utf-8" if bom else encoding
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"cannot decode as {codec}: {exc}") from None
    if codec not in ("utf-8", "ascii") and text.encode(codec) != body:
        raise DecodeError(f"{codec} text does not re-encode to the same bytes")
    return SourceText(text, codec, bom)


class LineIndex:
    """Maps (line, UTF-8 byte column) positions from `ast` to offsets in the decoded text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        pattern = _NEWLINE if "\r" in text else _LF
        self.starts.extend(m.end() for m in pattern.finditer(text))

    def offset(self, lineno: int, col: int) -> int:
        start = self.starts[lineno - 1]
        if col == 0:
            return start
        end = self.starts[lineno] if lineno < len(self.starts) else len(self.text)
        line = self.text[start:end]
        if line.isascii():
            return start + col
        return start + len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))

    def start_of(self, node) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end_of(self, node) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def line_of(self, offset: int) -> int:
        """1-based line number holding `offset`."""
        return bisect.bisect_right(self.starts, offset)

    def line_span(self, lineno: int) -> tuple[int, int]:
        """Offsets of a line's text, newline excluded."""
        start = self.starts[lineno - 1]
        end = self.starts[lineno] if lineno < len(self.starts) else len(self.text)
        line = self.text[start:end]
        return start, start + len(line.rstrip("\r\n"))

    def line_text(self, lineno: int) -> str:
        start, end = self.line_span(lineno)
        return self.text[start:end]

    def newline_after(self, lineno: int) -> str:
        """The newline sequence that ends `lineno`, or '' for a last line without one."""
        _, end = self.line_span(lineno)
        nxt = self.starts[lineno] if lineno < len(self.starts) else len(self.text)
        return self.text[end:nxt]

    def first_newline(self) -> str:
        m = _NEWLINE.search(self.text)
        return m.group() if m else "\n"
