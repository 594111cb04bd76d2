"""The abstract values the analysis computes for expressions (language-neutral: a front end builds them).

A `Val` says, for one expression, everything the rules need and nothing more: which untrusted or sensitive
data it carries (`taints`, each with its own evidence path and the sinks it has been sanitised for), what is
statically known of it (a literal, a literal prefix, an environment variable), and what kind of object it is
(a boto3 client for a service, a DynamoDB table with its name, a Powertools resolver...).

Taint kinds:
* ``event``: data from the invocation event (the attacker's input);
* ``param``: the i-th parameter of the function being summarised (substituted at each call site);
* ``secret``: a value fetched from Secrets Manager / SSM SecureString / KMS;
* ``decrypted``: the plaintext of a KMS `decrypt` (logged it is leaked; returned it may be the caller's own data);
* ``environ``: the whole process environment (`os.environ`), which holds credentials;
* ``exception``: the text or traceback of an unexpected exception (internal paths, queries, library errors).

A secret-named environment variable (`DB_PASSWORD`) is a ``secret`` as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from faasguard._record import record
from faasguard.analysis.code.facts import EnvRef, is_role_parameter
from faasguard.findings import EvidenceStep
from faasguard.model import Location, Unknown

MAX_STEPS = 14
MAX_TAINTS = 6


class LazyStep:
    """An evidence step whose description is written only when it is read.

    Every assignment of caller data and every call of an analysed function adds a step to the taints it
    carries, but only the steps of flows that reach a sink are ever shown: writing each description at once
    (source text through `ast.unparse`) cost more than a tenth of the analysis. This holds the parts the text
    is made from and writes it on first read, then lets go of them. It equals an `EvidenceStep` (either way
    round) with the same description and location, and hashes like one, so a taint compares the same whichever
    kind it carries; `summaries.collect` turns the steps a handler's facts keep into `EvidenceStep`s. The
    location is compared first: steps at different places differ without their text being written."""

    __slots__ = ("_args", "_make", "_text", "location")

    def __init__(self, make: Callable[..., str], args: tuple[object, ...], location: Location) -> None:
        self._make: Callable[..., str] | None = make
        self._args = args
        self._text: str | None = None
        self.location = location

    @property
    def description(self) -> str:
        text = self._text
        if text is None:
            assert self._make is not None
            text = self._text = self._make(*self._args)
            self._make, self._args = None, ()  # the syntax it was written from is no longer held
        return text

    def evidence(self) -> EvidenceStep:
        return EvidenceStep(self.description, self.location)

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, LazyStep | EvidenceStep):
            return self.location == other.location and self.description == other.description
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.description, self.location))

    def __repr__(self) -> str:
        return f"LazyStep(description={self.description!r}, location={self.location!r})"


Step = EvidenceStep | LazyStep
"""A step of a taint's evidence path, written out or still to be written."""


def evidence(steps: tuple[Step, ...]) -> tuple[EvidenceStep, ...]:
    """`steps` as the facts keep them: every description written."""
    return tuple(s.evidence() if isinstance(s, LazyStep) else s for s in steps)


@record
class ParamRef:
    """Inside a function summary: "the value of parameter `index`", replaced at each call site."""

    index: int


Arg = str | EnvRef | Unknown | ParamRef


@record
class Taint:
    kind: str
    source: str
    loc: Location
    steps: tuple[Step, ...] = ()
    param: int = -1
    sanitized: frozenset[str] = frozenset()
    """Sink kinds this value is safe for ("shell", "path", "url", "sql", "all")."""
    whole: bool = False
    """The entire object (the whole event / the whole parameter), not a field of it."""
    authz: bool = False
    """An authorization header, cookie or API key."""
    structured: bool = True
    """May be a dict/list chosen by the sender (JSON), so operator injection is possible."""
    normalized: bool = False
    """normpath/realpath/resolve applied: a base-directory check after this sanitises paths."""
    headers: bool = False
    """The request's whole header map (`event["headers"]`, `req.headers`), which holds the Authorization header
    and cookies: logged, it leaks them. Its fields do not inherit this (`headers["content-type"]` is harmless)."""

    def key(self) -> tuple[str, int, str]:
        return (self.kind, self.param, self.source)

    # The copies below name every field (`dataclasses.replace` costs several times a constructor call, and
    # these run for every taint at every assignment and field read); keep them in step with the fields.

    def step(self, step: Step) -> Taint:
        if len(self.steps) >= MAX_STEPS or (self.steps and self.steps[-1] == step):
            return self
        return Taint(self.kind, self.source, self.loc, (*self.steps, step), self.param, self.sanitized, self.whole,
                     self.authz, self.structured, self.normalized, self.headers)

    def with_source(self, source: str) -> Taint:
        """This taint described as read from `source`."""
        if source == self.source:
            return self
        return Taint(self.kind, source, self.loc, self.steps, self.param, self.sanitized, self.whole, self.authz,
                     self.structured, self.normalized, self.headers)

    def clean_for(self, *kinds: str) -> Taint:
        return Taint(self.kind, self.source, self.loc, self.steps, self.param, self.sanitized | frozenset(kinds),
                     self.whole, self.authz, self.structured, self.normalized, self.headers)

    def with_structure(self, structured: bool, sanitized: frozenset[str] | None = None) -> Taint:
        """This taint with `structured` set (and `sanitized`, when given)."""
        return Taint(self.kind, self.source, self.loc, self.steps, self.param,
                     self.sanitized if sanitized is None else sanitized, self.whole, self.authz, structured,
                     self.normalized, self.headers)

    def field(self, source: str | None, loc: Location, authz: bool, stringy: bool, base: str | None = None, *,
              headers: bool = False) -> Taint:
        """The taint of a field of this value (subscript, attribute, `.get`). The source description grows
        along an access chain (event['Records'][0]['s3']...) while the chain is read in one expression.
        `headers`: the field's name is the request's header map, which counts only read from the whole event or
        request (`event["headers"]`, not `body["headers"]`)."""
        extend = source is not None and (self.whole or (base is not None and base == self.source))
        new_source, new_loc = (source, loc) if extend and source else (self.source, self.loc)
        return Taint(self.kind, new_source, new_loc, self.steps, self.param, self.sanitized, False,
                     self.authz or authz, self.structured and not stringy, self.normalized, headers and self.whole)


@record
class Val:
    taints: tuple[Taint, ...] = ()
    const: str | None = None
    prefix: str | None = None
    """Known leading text of a partly-known string (equals `const` when the whole value is known)."""
    text: str = ""
    """The known fragments of a formatted string (for SQL-keyword and URL checks)."""
    env: EnvRef | None = None
    param: int | None = None
    qual: str | None = None
    """Dotted name of a library object ("subprocess.run", "requests.Session()")."""
    kind: str | None = None
    service: str | None = None
    aws: tuple[tuple[str, Arg], ...] = ()
    extra: str | None = None
    fields: tuple[tuple[str, Val], ...] | None = None
    tmp: str | None = None
    """Identity of a path under /tmp (its literal prefix, or the tempfile call that made it)."""

    @property
    def tainted(self) -> bool:
        return bool(self.taints)

    def field_val(self, key: str) -> Val | None:
        if self.fields is None:
            return None
        for name, value in self.fields:
            if name == key:
                return value
        return None

    def with_taints(self, taints: tuple[Taint, ...]) -> Val:
        """This value carrying `taints` instead (every field named: see Taint.step)."""
        return Val(taints, self.const, self.prefix, self.text, self.env, self.param, self.qual, self.kind,
                   self.service, self.aws, self.extra, self.fields, self.tmp)

    def data(self) -> Val:
        """Only the data-flow part (what survives generic operations on the value)."""
        return Val(taints=self.taints) if self.taints else CLEAN

    def map_taints(self, fn: object) -> Val:
        assert callable(fn)
        return replace(self, taints=tuple(t for t in (fn(t) for t in self.taints) if t is not None))


CLEAN = Val()


def merge_taints(*groups: tuple[Taint, ...]) -> tuple[Taint, ...]:
    seen: dict[tuple[str, int, str], Taint] = {}
    for group in groups:
        for taint in group:
            key = taint.key()
            if key not in seen and len(seen) < MAX_TAINTS:
                seen[key] = taint
    return tuple(seen.values())


def join(a: Val, b: Val) -> Val:
    """What a variable may hold after two branches assigned it `a` and `b`."""
    if a is b or a == b:
        return a
    return Val(
        taints=merge_taints(a.taints, b.taints),
        const=a.const if a.const == b.const else None,
        prefix=a.prefix if a.prefix == b.prefix else None,
        text=a.text if a.text == b.text else a.text + " " + b.text,
        env=a.env if a.env == b.env else None,
        param=a.param if a.param == b.param else None,
        qual=a.qual or b.qual,
        kind=a.kind or b.kind,
        service=a.service or b.service,
        aws=a.aws or b.aws,
        extra=a.extra or b.extra,
        fields=a.fields if a.fields == b.fields else None,
        tmp=a.tmp or b.tmp,
    )


def data_of(*values: Val) -> Val:
    """The data-flow union of several values (the result of an unknown operation on them)."""
    taints = merge_taints(*(v.taints for v in values))
    return Val(taints=taints) if taints else CLEAN


def from_authorization_header(value: Val) -> bool:
    """Event data read from the `Authorization` header, the identity source an API Gateway Cognito or JWT
    authorizer verifies before the function runs (so a rule can tell a token it checked from any other)."""
    return any(t.kind == "event" and "authorization" in t.source.lower() for t in value.taints)


def claims_of(*tokens: Val) -> Val:
    """What a JWT decoder hands back: the token's data as its claims, never the key it was checked with. The
    decoded payload is no longer the credential (the signature is not in it), so logging its `sub` or `email`
    leaks no Authorization header: the authz flag is cleared."""
    data = data_of(*tokens)
    return data.map_taints(lambda t: replace(t, authz=False) if t.authz else t)


def names_of(value: Val) -> Val:
    """The field names of a mapping (`headers.keys()`, `Object.keys(event)`): still the caller's text, but no
    longer the whole event or the header map, so logging them leaks neither."""
    return Val(taints=tuple(t.field(None, t.loc, False, True) for t in value.taints)) if value.taints else CLEAN


def stringify(value: Val) -> Val:
    """str(x), .strip(), .decode()...: same data, no longer a structure."""
    if not value.taints:
        return CLEAN if value.const is None else Val(const=value.const, prefix=value.const, text=value.const)
    return Val(
        taints=tuple(t.with_structure(False) for t in value.taints),
        tmp=value.tmp,
        prefix=value.prefix,
        text=value.text,
    )


def nested_roles(name: str, value: Val, depth: int = 3) -> list[tuple[str, Val]]:
    """Roles a request passes inside a structure (`Target={"RoleArn": ...}` of EventBridge Scheduler, ECS
    `overrides.taskRoleArn`), as dotted parameter names: IAM needs `iam:PassRole` for them as for a top-level
    `RoleArn` (`faasguard.analysis.iam.least_privilege.code_needs`)."""
    found: list[tuple[str, Val]] = []
    for key, inner in value.fields or ():
        path = f"{name}.{key}"
        if is_role_parameter(key):
            found.append((path, inner))
        elif depth > 1 and inner.fields:
            found.extend(nested_roles(path, inner, depth - 1))
    return found
