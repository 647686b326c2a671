"""Whether every package cargo builds StarPunk from may be shipped with an
MIT program: each package's SPDX licence expression (the `license` field of
`cargo metadata`) must be satisfiable with permissive licences alone.

An expression is read as SPDX defines it: `WITH` binds tighter than `AND`,
`AND` tighter than `OR`, parentheses group. The older `MIT/Apache-2.0`
spelling that crates.io still shows means `OR`. A package that declares no
expression, only a licence file, has to be listed in UNDECLARED with the
licence someone read in that file and the file's SHA-256, so a changed file
is noticed."""

import hashlib
import re
from pathlib import Path

# Licences that ask nothing an MIT program cannot give: notices kept, at
# most file-level copyleft (MPL-2.0: changes to its own files stay open).
PERMISSIVE = {
    "0BSD", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0", "CC0-1.0",
    "CDLA-Permissive-2.0", "ISC", "MIT", "MIT-0", "MPL-2.0", "OpenSSL",
    "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "Zlib",
}

# Exceptions that only grant more (LLVM's lets binaries skip Apache's notice).
EXCEPTIONS = {"LLVM-exception"}

# Packages with no `license` field: name -> (the licence their file holds,
# as an SPDX expression; that file's SHA-256). None so far.
UNDECLARED = {}

_TOKEN = re.compile(r"\s*(?:(\()|(\))|(/)|([A-Za-z0-9.+:-]+))")


class ExpressionError(ValueError):
    """An expression that is not SPDX."""


def _tokens(expression):
    tokens, at = [], 0
    while at < len(expression.rstrip()):
        match = _TOKEN.match(expression, at)
        if not match:
            raise ExpressionError(f"unexpected {expression[at:].strip()!r} in {expression!r}")
        opening, closing, slash, word = match.groups()
        if opening or closing:
            tokens.append(opening or closing)
        elif slash:
            tokens.append("OR")
        elif word.upper() in ("AND", "OR", "WITH"):
            tokens.append(word.upper())
        else:
            tokens.append(("id", word))
        at = match.end()
    return tokens


class _Parser:
    def __init__(self, expression):
        self.expression = expression
        self.tokens = _tokens(expression)
        self.at = 0

    def _peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self):
        token = self._peek()
        if token is None:
            raise ExpressionError(f"{self.expression!r} ends too early")
        self.at += 1
        return token

    def parse(self):
        tree = self._or()
        if self._peek() is not None:
            raise ExpressionError(f"unexpected {self._peek()!r} in {self.expression!r}")
        return tree

    def _or(self):
        terms = [self._and()]
        while self._peek() == "OR":
            self._take()
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else ("OR", terms)

    def _and(self):
        terms = [self._with()]
        while self._peek() == "AND":
            self._take()
            terms.append(self._with())
        return terms[0] if len(terms) == 1 else ("AND", terms)

    def _with(self):
        licence = self._primary()
        if self._peek() != "WITH":
            return licence
        self._take()
        exception = self._take()
        if licence[0] != "id" or not isinstance(exception, tuple):
            raise ExpressionError(f"WITH needs a licence and an exception in {self.expression!r}")
        return ("WITH", licence[1], exception[1])

    def _primary(self):
        token = self._take()
        if token == "(":
            tree = self._or()
            if self._take() != ")":
                raise ExpressionError(f"unbalanced parentheses in {self.expression!r}")
            return tree
        if not isinstance(token, tuple):
            raise ExpressionError(f"unexpected {token!r} in {self.expression!r}")
        return token


def parse(expression):
    """The expression as a tree: ("id", name), ("WITH", name, exception),
    ("AND", [trees]) or ("OR", [trees])."""
    return _Parser(expression).parse()


def _satisfiable(tree):
    kind = tree[0]
    if kind == "id":
        # `+` ("or any later version") adds choices, never obligations.
        return tree[1].removesuffix("+") in PERMISSIVE
    if kind == "WITH":
        return tree[1].removesuffix("+") in PERMISSIVE and tree[2] in EXCEPTIONS
    if kind == "AND":
        return all(_satisfiable(t) for t in tree[1])
    return any(_satisfiable(t) for t in tree[1])


def permissive(expression):
    """Whether the expression can be met with PERMISSIVE licences alone."""
    return _satisfiable(parse(expression))


def problems(metadata, undeclared=None):
    """What is wrong with the packages of a `cargo metadata` document: one
    sentence for each package that cannot be shipped with an MIT program,
    declares nothing usable, or whose listed licence file changed."""
    undeclared = UNDECLARED if undeclared is None else undeclared
    found = []
    for package in metadata["packages"]:
        name = f"{package['name']} {package['version']}"
        expression = package.get("license")
        if not expression:
            found.extend(_undeclared_problems(package, name, undeclared))
            continue
        try:
            if not permissive(expression):
                found.append(f"{name}: {expression!r} needs a licence that is not permissive")
        except ExpressionError as error:
            found.append(f"{name}: {error}")
    return found


def _undeclared_problems(package, name, undeclared):
    listed = undeclared.get(package["name"])
    licence_file = package.get("license_file")
    path = Path(package["manifest_path"]).parent / licence_file if licence_file else None
    if listed is None:
        where = f"read {path}" if path else "it names no licence file either"
        return [f"{name} declares no licence expression; {where} and list it in UNDECLARED"]
    expression, sha256 = listed
    if path is None or not path.is_file():
        return [f"{name}: listed in UNDECLARED, but its licence file is missing"]
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        return [f"{name}: {path} changed since its licence was read; read it again"]
    if not permissive(expression):
        return [f"{name}: {expression!r} (from its licence file) is not permissive"]
    return []
