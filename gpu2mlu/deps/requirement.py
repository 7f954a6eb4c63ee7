"""One requirement string (PEP 508, or what pip also accepts: a bare URL, a path, an archive
file name) parsed far enough to judge it: its name, version clauses and URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import unquote, urlsplit

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_EXTRAS = re.compile(r"\s*\[([^\]]*)\]")
_CLAUSE = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>)\s*([^\s,;()]+)\s*")
_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|file:")
_WHEEL = re.compile(r"(?P<name>[^-/]+)-(?P<version>[^-/]+)(?:-\d[^-/]*)?-[^-/]+-[^-/]+-[^-/]+\.whl\Z")
_SDIST = re.compile(r"(?P<name>[^/]+?)-(?P<version>\d[^-/]*?)\.(?:tar\.gz|tar\.bz2|tgz|zip)\Z")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9._-]+)")


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name: lowercase, runs of -_. as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str  # as written (or as derived from a URL or file name)
    extras: tuple[str, ...] = ()
    clauses: tuple[tuple[str, str], ...] = ()  # (operator, version), e.g. ("==", "2.1.0+cu118")
    url: Optional[str] = None

    @property
    def key(self) -> str:
        return normalize(self.name)

    @property
    def spec(self) -> str:
        return ",".join(op + version for op, version in self.clauses)


def parse_requirement(text: str) -> Optional[Requirement]:
    """`text` is one requirement without pip options or comments; None when it names nothing
    (a local directory such as `.`, or text that is not a requirement)."""
    text = text.strip()
    if not text:
        return None
    if _URL_START.match(text) or text.startswith((".", "/", "~")) or _archive(text.split()[0]):
        return _from_location(text.split()[0])
    m = _NAME.match(text)
    if not m:
        return None
    name, rest = m.group(), text[m.end():]
    extras: tuple[str, ...] = ()
    e = _EXTRAS.match(rest)
    if e:
        extras = tuple(x.strip() for x in e.group(1).split(",") if x.strip())
        rest = rest[e.end():]
    rest = rest.split(";", 1)[0].strip()  # drop the environment marker
    if rest.startswith("@"):
        url = rest[1:].strip().split()[0] if rest[1:].strip() else ""
        return Requirement(name, extras, (), url or None)
    rest = rest.strip("() \t")
    clauses = []
    for part in rest.split(","):
        c = _CLAUSE.fullmatch(part)
        if c:
            clauses.append((c.group(1), c.group(2)))
    return Requirement(name, extras, tuple(clauses))


def _archive(token: str) -> bool:
    return token.endswith((".whl", ".tar.gz", ".tar.bz2", ".tgz", ".zip"))


def _from_location(location: str) -> Optional[Requirement]:
    """A bare URL, VCS URL or path: the name comes from #egg=, the archive file name, or (for a
    VCS URL) the repository name."""
    egg = _EGG.search(location)
    if egg:
        return Requirement(egg.group(1), url=location)
    path = _url_path(location) if _URL_START.match(location) else location
    filename = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    for pattern in (_WHEEL, _SDIST):
        m = pattern.match(filename)
        if m:
            return Requirement(m.group("name"), clauses=(("==", m.group("version")),), url=location)
    if location.split(":", 1)[0].lower().startswith(("git+", "hg+", "svn+", "bzr+")):
        repo = filename.split("@", 1)[0]
        repo = repo[:-4] if repo.endswith(".git") else repo
        if _NAME.fullmatch(repo):
            return Requirement(repo, url=location)
    return None


def archive_version(url: str) -> Optional[str]:
    """The version in a wheel or sdist file name at the end of `url`, if any."""
    filename = unquote(_url_path(url).rstrip("/").rsplit("/", 1)[-1])
    for pattern in (_WHEEL, _SDIST):
        m = pattern.match(filename)
        if m:
            return m.group("version")
    return None


def _url_path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # e.g. an unbalanced "[" in the host part
        return url.split("#", 1)[0].split("?", 1)[0]
