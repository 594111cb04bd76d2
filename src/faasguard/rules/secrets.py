"""Secrets in function configuration: FG201 (secret-in-environment), FG203 (environment-without-cmk).

The classifier is hand-written because it encodes the catalog's definition (RULES.md "FG201") rather than a
generic secret scanner's: names of secrets, ARNs, SSM paths and dynamic references are the *right* pattern
and must stay quiet, while a plaintext value next to a secret-looking name, or a value with a known key shape,
is reported. Values are never copied into messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import pairwise

from faasguard._record import record
from faasguard.findings import Confidence, Finding, Severity
from faasguard.model import EnvVar, Function, Location
from faasguard.rules.base import Rule, RuleContext, register

# ------------------------------------------------------------------------------------ classification

_SECRET_TOKENS = frozenset({
    "PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL",
    "CREDENTIALS", "PRIVATEKEY", "SECRETKEY", "AUTHTOKEN",
})
_SECRET_PAIRS = frozenset({
    ("API", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY"), ("SIGNING", "KEY"), ("ENCRYPTION", "KEY"),
    ("MASTER", "KEY"), ("AUTH", "KEY"), ("CLIENT", "SECRET"), ("ACCESS", "TOKEN"), ("WEBHOOK", "SECRET"),
    ("SESSION", "KEY"), ("HMAC", "KEY"), ("JWT", "KEY"),
})
_PASSWORD_TOKENS = frozenset({"PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE"})

# A trailing word that makes the variable hold *where* a secret is, or something about it, not the secret.
_REFERENCE_SUFFIXES = frozenset({
    "ARN", "ARNS", "NAME", "NAMES", "ID", "IDS", "PATH", "PARAM", "PARAMETER", "PARAMS", "REF", "PREFIX",
    "TABLE", "BUCKET", "QUEUE", "TOPIC", "REGION", "ENDPOINT", "URL", "URI", "HEADER", "FIELD", "LENGTH",
    "TTL", "EXPIRY", "EXPIRATION", "EXPIRES", "IN", "LIFETIME", "TIMEOUT", "ALGORITHM", "ALG", "TYPE",
    "ENABLED", "DISABLED", "SIZE", "COUNT", "VERSION", "ISSUER", "AUDIENCE", "SCOPE", "SCOPES", "ROTATION",
    "KEYID", "LOCATION", "FILE", "SSM", "STORE", "MANAGER", "POLICY", "ROLE", "USER", "USERNAME", "HOST",
    "PORT", "DAYS", "HOURS", "MINUTES", "SECONDS", "MS", "FORMAT", "KIND", "MODE", "LEVEL", "STAGE",
    # settings of how secrets are made or checked (`PASSWORD_ITERATIONS: 4096`, `PASSWORD_MIN: 12`)
    "ITERATIONS", "ROUNDS", "MIN", "MAX", "ATTEMPTS", "RETRIES",
})
_REFERENCE_WORDS = frozenset({"SSM", "SECRETSMANAGER", "PARAMETERSTORE", "KMS", "VAULT"})

_NAME_TOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

_BY_USE_ONLY = ("random_string.",)
"""Generated values that are as often a name suffix as a secret (`"orders-${random_string.suffix.result}"`):
a secret only next to a secret-looking variable name."""
_KEY_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY"), "a private key"),
    (re.compile(r"\b[sr]k_live_[0-9A-Za-z]{10,}"), "a Stripe live secret key"),
    (re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}"), "a Slack token"),
    (re.compile(r"https://hooks\.slack\.com/services/T[0-9A-Z]+/B[0-9A-Z]+/[0-9A-Za-z]+"), "a Slack webhook URL"),
    (re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b|\bgithub_pat_[0-9A-Za-z_]{40,}"), "a GitHub token"),
    (re.compile(r"\bglpat-[0-9A-Za-z_-]{20}\b"), "a GitLab token"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "a Google API key"),
    (re.compile(r"\bSG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}\b"), "a SendGrid API key"),
    (re.compile(r"\bnpm_[0-9A-Za-z]{36}\b"), "an npm token"),
)
_URL_CREDENTIALS = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?P<user>[^:/@\s]*):(?P<password>[^@\s/]+)@")

_PLACEHOLDERS = frozenset({
    "changeme", "change-me", "change_me", "replaceme", "replace-me", "replace_me", "password", "secret",
    "token", "none", "null", "nil", "undefined", "todo", "tbd", "xxx", "placeholder", "dummy", "example",
    "test", "testing", "default", "notset", "not-set", "unset", "empty", "fake", "sample", "mysecret",
    "secretvalue", "your-secret", "your_secret", "yourpassword", "your-password", "your_password",
    "your-api-key", "your_api_key", "apikey", "api-key", "api_key", "local", "dev", "redacted", "overridden",
})
_BOOLEAN_LIKE = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled"})
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*$")
_PATH_LIKE = re.compile(r"^/?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+/?$")
_HOST_OR_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:/\S*)?)$", re.I)


def _name_tokens(name: str) -> list[str]:
    return [t.upper() for part in re.split(r"[^A-Za-z0-9]+", name) for t in _NAME_TOKEN.findall(part)]


def secret_name_kind(name: str) -> str | None:
    """"password", "secret" when a variable name says it holds a secret itself; None for other names and for
    names of *references* to secrets (`DB_SECRET_ARN`, `API_KEY_PARAMETER_NAME`, `TOKEN_TTL`)."""
    return _name_kind_cached(name) if len(name) <= _CACHED_VALUE_CHARS else _name_kind(name)


def _name_kind(name: str) -> str | None:
    tokens = _name_tokens(name)
    if not tokens or tokens[-1] in _REFERENCE_SUFFIXES or any(t in _REFERENCE_WORDS for t in tokens):
        return None
    if any(t in _PASSWORD_TOKENS for t in tokens):
        return "password"
    if any(t in _SECRET_TOKENS for t in tokens) or any(p in _SECRET_PAIRS for p in pairwise(tokens)):
        return "secret"
    return None


_name_kind_cached = lru_cache(maxsize=4096)(_name_kind)
"""The same few names recur in every function of a service (a provider-wide `STAGE` is inherited by each)."""
_CACHED_VALUE_CHARS = 256
"""Only names and values up to this length are cached, so a cache never keeps a hostile template's huge
strings alive."""


def _entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def looks_random(value: str) -> bool:
    """A credential-like string: long, high entropy, and switching often between lower case, upper case and
    digits (generated keys do; words, kebab-case names such as `poc-token-42` and CamelCase names do not)."""
    if len(value) < 12 or " " in value or _CAMEL_WORDS.fullmatch(value):
        return False
    alnum = [c for c in value if c.isalnum()]
    kinds = ["d" if c.isdigit() else "u" if c.isupper() else "l" for c in alnum]
    if len(set(kinds)) < 2 or _entropy(value) < 3.0:
        return False
    switches = sum(1 for a, b in pairwise(kinds) if a != b)
    return switches / len(kinds) >= 0.25


_CAMEL_WORDS = re.compile(r"(?:[A-Z][a-z]+)+\d{0,4}")


def is_reference_value(value: str) -> bool:
    """A value that names or points at a secret rather than holding it."""
    v = value.strip()
    lower = v.lower()
    return (lower.startswith(("arn:", "{{resolve:", "${ssm", "${secretsmanager", "${aws:", "ssm:", "secretsmanager:"))
            or ("${" in v and _URL_CREDENTIALS.match(v) is None)
            or v.startswith("/"))


def is_placeholder(value: str) -> bool:
    v = value.strip()
    lower = v.lower()
    if len(v) < 4 or lower in _PLACEHOLDERS or lower in _BOOLEAN_LIKE:
        return True
    if re.fullmatch(r"[-+]?\d+(?:\.\d+)?", v) or len(set(v)) <= 2:
        return True
    return (v.startswith("<") and v.endswith(">")) or bool(re.fullmatch(r"(?i)[x*#.?-]+|your[-_ ].*|.*[-_]here",
                                                                          v))


@record
class SecretVerdict:
    why: str
    confidence: Confidence


def classify(var: EnvVar) -> SecretVerdict | None:
    """Why an environment variable holds a plaintext secret, or None (see the module docstring)."""
    if var.secret_reference:
        return None
    if var.from_secret_attribute and (not var.from_secret_attribute.startswith(_BY_USE_ONLY)
                                      or secret_name_kind(var.name) is not None):
        return SecretVerdict(f"copies the secret attribute {var.from_secret_attribute} into plaintext",
                             Confidence.HIGH)
    value = var.value
    if not isinstance(value, str):
        return None  # Unknown: a !Ref to a NoEcho parameter is the right pattern, never guessed about
    if len(value) > _CACHED_VALUE_CHARS:
        return _classify_text(var.name, value)
    return _classify_cached(var.name, value)


def _classify_text(name: str, value: str) -> SecretVerdict | None:
    """`classify` of a plaintext value: a function of the name and the value alone, hence `_classify_cached`."""
    text = value.strip()
    creds = _URL_CREDENTIALS.match(text)
    if creds and "${" not in creds.group("password") and not is_placeholder(creds.group("password")):
        return SecretVerdict("holds a connection URL with an embedded password", Confidence.HIGH)
    if not is_reference_value(text):
        for shape, label in _KEY_SHAPES:
            if shape.search(text):
                return SecretVerdict(f"holds {label}", Confidence.HIGH)
    kind = secret_name_kind(name)
    if kind is None and _random_under_key_name(name, text):
        return SecretVerdict("holds a random-looking value under a *_KEY name: a plaintext key",
                             Confidence.MEDIUM)
    if kind is None or is_reference_value(text) or is_placeholder(text):
        return None
    random = looks_random(text)
    if not random and _PATH_LIKE.match(text):
        return None  # `orders/db/admin`: the name of a Secrets Manager secret, not its value
    if kind == "password":
        return SecretVerdict("holds a plaintext password", Confidence.HIGH if random or len(text) >= 8
                             else Confidence.MEDIUM)
    # TOKEN / SECRET / API_KEY names: a value that reads like a name, a host or a path is a reference.
    if not random and (_IDENTIFIER.match(text) or _HOST_OR_URL.match(text)
                       or " " in text):
        return None
    return SecretVerdict("holds a plaintext secret", Confidence.HIGH if random else Confidence.MEDIUM)


# Words before a trailing KEY that make it a lookup key, an identifier or a key meant to be public, not a
# credential: `CACHE_KEY`, `PARTITION_KEY`, `S3_OBJECT_KEY`, `STRIPE_PUBLISHABLE_KEY`, `RECAPTCHA_SITE_KEY`,
# `GPG_KEY` (the fingerprint of the public key official base images verify their downloads with).
_NOT_CREDENTIAL_KEY_WORDS = frozenset({
    "PUBLIC", "PUBLISHABLE", "SITE", "GPG", "PGP", "CACHE", "PARTITION", "SORT", "HASH", "RANGE", "PRIMARY",
    "OBJECT", "S3", "FILE", "IDEMPOTENCY", "DEDUP", "DEDUPLICATION", "ROUTE", "ROUTING", "SHARD", "GROUP",
    "MESSAGE", "INDEX", "LOOKUP", "TAG", "LOCK", "FOREIGN", "SEARCH", "DATA", "CUSTOM", "METADATA", "STORAGE",
})
# A KMS key id, a multi-region key id or any UUID: random-looking, but the name of a key, not the key.
_KEY_IDENTIFIER = re.compile(r"(?i)^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def _random_under_key_name(name: str, text: str) -> bool:
    """A bare `*_KEY` name (`BLOG_KEY`, `MAPS_KEY`, `WEATHER_KEY`) says nothing alone -- `CACHE_KEY: v2` and
    `S3_KEY: uploads/in.csv` are settings -- but with a generated-looking value it is a key in plaintext: a
    deliberately vulnerable app kept a 32-hex-digit key in a stage variable named that way, missed by the
    secret-name list, which requires `API_KEY`, `SECRET_KEY` and the like."""
    tokens = _name_tokens(name)
    if not tokens or tokens[-1] != "KEY" or any(t in _NOT_CREDENTIAL_KEY_WORDS or t in _REFERENCE_WORDS
                                                for t in tokens):
        return False
    if is_reference_value(text) or is_placeholder(text) or _KEY_IDENTIFIER.match(text):
        return False
    if _PATH_LIKE.match(text) or _HOST_OR_URL.match(text):
        return False
    return looks_random(text)


_classify_cached = lru_cache(maxsize=4096)(_classify_text)
"""A service's functions repeat the same variables (inherited ones verbatim) and FG201 and FG203 both classify
each: 4,000 classifications of 2 distinct variables in a 1,000-function service."""


def is_sensitive(var: EnvVar, blank_may_be_parameter: bool = False) -> bool:
    """A variable whose value deserves a customer-managed key (FG203): a secret, whatever its form. An empty
    value (`BEDROCK_SECRET_KEY:` left blank, to be filled in later) holds nothing to protect."""
    if isinstance(var.value, str) and not var.value.strip() and not var.secret_reference \
            and not var.from_secret_attribute and not blank_may_be_parameter:
        return False
    generated = bool(var.from_secret_attribute) and not (var.from_secret_attribute or "").startswith(_BY_USE_ONLY)
    return bool(var.secret_reference or generated or secret_name_kind(var.name)
                or classify(var) is not None)


# ----------------------------------------------------------------------------------------- FG201

_GOOGLE_FIX = ("Store the value in Secret Manager and let the platform inject it (Cloud Run `env.value_source."
               "secret_key_ref` / `valueFrom.secretKeyRef`, Cloud Functions `secret_environment_variables`), "
               "granting the service account `roles/secretmanager.secretAccessor` on that secret only; rotate the "
               "exposed secret.")
"""Google's services have no Secrets Manager or SSM: the AWS advice would send the reader to the wrong cloud."""


@register
class SecretInEnvironment(Rule):
    """Flags a function or container environment variable that holds a plaintext secret.

    ## What it does
    Reports an environment variable when its name says it is a secret (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`,
    `*API_KEY*`, `*PRIVATE_KEY*`) and its value is a plaintext literal, or when its value has a known secret
    shape whatever its name (AWS access key ids, `sk_live_` keys, private-key headers, Slack/GitHub tokens,
    a connection URL with `user:password@`), or when it copies a secret the deployment generates or reads
    into plaintext, in a function's or an ECS container's environment: `!GetAtt AccessKey.SecretAccessKey`,
    Terraform `random_password.result`, `aws_iam_access_key.secret`, `tls_private_key.private_key_pem`,
    `data.aws_secretsmanager_secret_version.x.secret_string`, `data.aws_ssm_parameter.x.value`
    (`random_string.result`/`.id` only beside a secret-looking name: it is as often a name suffix). A bare
    `*_KEY` name (`MAPS_KEY`, `PARTNER_KEY`) counts, at medium confidence, only when its value looks
    generated and is not a KMS key id, a UUID, a path or a host, and never for lookup or public keys
    (`CACHE_KEY`, `PARTITION_KEY`, `S3_OBJECT_KEY`, `STRIPE_PUBLISHABLE_KEY`, `GPG_KEY`).

    It stays quiet for variables that hold a *name* or *location* of a secret (`DB_SECRET_ARN`,
    `API_KEY_PARAMETER`) or a setting about secrets (`TOKEN_TTL`, `PASSWORD_ITERATIONS`, `PASSWORD_MIN`),
    for ARNs, SSM paths, `{{resolve:secretsmanager:...}}` and `${ssm:...}`
    references (CloudFormation resolves them into the deployed configuration, but the source holds no secret
    and RULES.md keeps them out of FG201; FG203 asks for a customer-managed key for them), for values it
    cannot resolve (a `!Ref` to a NoEcho parameter is the right pattern), and for
    booleans, numbers, empty values and placeholders such as `changeme`. A variable in SAM `Globals` is one finding
    naming every function that inherits it. The value is never shown in the
    report. (Audit checklist C2.)

    ## Why is this bad?
    Environment variables are readable by anyone who can call `lambda:GetFunctionConfiguration`, appear in
    the template in source control, in CloudFormation's stack history and in every copy of the repository;
    the code reading them also tends to log them. A secret there cannot be rotated without a deployment.

    ## Example
    ```yaml
    DbAdminFunction:
      Type: AWS::Serverless::Function
      Properties:
        Environment:
          Variables:
            DB_PASSWORD: Sup3rS3cretPassw0rd!
    ```

    ## Fix
    ```yaml
    DbAdminFunction:
      Type: AWS::Serverless::Function
      Properties:
        Environment:
          Variables:
            DB_PASSWORD_SECRET_ARN: !Ref DbPasswordSecret
        Policies:
          - AWSSecretsManagerGetSecretValuePolicy:
              SecretArn: !Ref DbPasswordSecret
    ```
    """

    id = "FG201"
    name = "secret-in-environment"
    summary = "plaintext secret in a function or container environment variable"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = "CWE-798"
    owasp = "SAS-7"
    checklist = "C2"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        google = {fn.id for fn in ctx.app.functions if fn.platform.startswith("gcp")}
        google |= {c.task or c.id for c in ctx.app.containers if c.platform in ("cloudrun", "knative")}
        owners: list[tuple[str, str, tuple[EnvVar, ...]]] = [
            ("function", fn.id, fn.environment) for fn in ctx.app.functions]
        owners += [("container", c.task or c.id, c.environment) for c in ctx.app.containers]
        # `!Ref Param` to a NoEcho parameter is the right pattern even when the loader resolved it to the
        # parameter's default (the model keeps no provenance, so the default's value is how we recognise it).
        no_echo_defaults = {str(p.default) for p in ctx.app.parameters
                            if p.no_echo and p.has_default and p.default not in (None, "")}
        # One finding per variable node: a SAM Globals variable inherited by several functions is one node.
        hits: dict[tuple[str, int, int, str], tuple[str, EnvVar, SecretVerdict, list[str]]] = {}
        for kind, owner, env in owners:
            for var in env:
                if isinstance(var.value, str) and var.value in no_echo_defaults and not var.from_secret_attribute:
                    continue
                verdict = classify(var)
                if verdict is None:
                    continue
                key = (var.location.path, var.location.line, var.location.column, var.name)
                if key in hits:
                    hits[key][3].append(owner)
                else:
                    hits[key] = (kind, var, verdict, [owner])
        for kind, var, verdict, names in hits.values():
            owner = names[0]
            who = f"{kind} {owner}" if len(names) == 1 else f"{len(names)} {kind}s ({', '.join(names)})"
            functions: str | list[str] | None = None
            if kind == "function":
                functions = owner if len(names) == 1 else names
            yield self.finding(
                f"{who}: environment variable {var.name} {verdict.why}",
                var.location, owner, function=functions,
                confidence=verdict.confidence,
                fix=_GOOGLE_FIX if owner in google else (
                    f"Store the value in Secrets Manager or SSM Parameter Store (SecureString), pass only its "
                    f"name or ARN (e.g. {var.name}_SECRET_ARN) and fetch it at init with a cache, or use a "
                    "`{{resolve:secretsmanager:...}}` dynamic reference; rotate the exposed secret."),
            )
        yield from self._images(ctx)

    def _images(self, ctx: RuleContext) -> Iterator[Finding]:
        """`ENV` baked into a deployed image's config: readable by anyone who can pull the image."""
        for bound in ctx.facts.images.images if ctx.facts.images else ():
            for env in bound.image.env:
                verdict = classify(EnvVar(env.name, env.value, env.location))
                if verdict is None:
                    continue
                yield self.finding(
                    f"{bound.phrase}: environment variable {env.name} set in the image config (`ENV`) "
                    f"{verdict.why}; anyone who can pull the image reads it",
                    env.location, bound.image.display, function=list(bound.functions) or None,
                    confidence=verdict.confidence,
                    fix=(f"Remove `ENV {env.name}` from the Dockerfile and rebuild; read the secret at run time from "
                         "Secrets Manager or SSM Parameter Store (SecureString), and rotate the exposed secret "
                         "(it stays in every pushed copy of the image)."))


# ----------------------------------------------------------------------------------------- FG203


@register
class EnvironmentWithoutCmk(Rule):
    """Flags a Lambda function whose environment holds sensitive values but has no customer-managed KMS key.

    ## What it does
    Reports a function with no `KmsKeyArn` when at least one of its environment variables is sensitive: a
    secret-named variable, a deploy-time dynamic reference (CloudFormation resolves
    `{{resolve:secretsmanager:...}}` into the function's configuration), a copied secret attribute, or a
    value with a known secret shape. Environments holding only configuration (table names, log levels,
    settings about secrets such as `PASSWORD_ITERATIONS`) gain nothing from a customer-managed key and are
    not reported, nor are secret-named variables left blank.

    ## Why is this bad?
    Without `KmsKeyArn`, Lambda encrypts the environment with the AWS managed key `aws/lambda`, which every
    principal allowed `lambda:GetFunctionConfiguration` can implicitly decrypt. A customer-managed key lets a
    key policy decide who may read the values, and CloudTrail records each decryption.

    ## Example
    ```yaml
    PaymentsFunction:
      Type: AWS::Serverless::Function
      Properties:
        Environment:
          Variables:
            STRIPE_KEY: "{{resolve:secretsmanager:stripe:SecretString:key}}"
    ```

    ## Fix
    ```yaml
    PaymentsFunction:
      Type: AWS::Serverless::Function
      Properties:
        KmsKeyArn: !GetAtt EnvironmentKey.Arn
        Environment:
          Variables:
            STRIPE_KEY: "{{resolve:secretsmanager:stripe:SecretString:key}}"
    ```
    """

    id = "FG203"
    name = "environment-without-cmk"
    summary = "sensitive environment variables without a customer-managed KMS key"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = "CWE-311"
    owasp = "SAS-7"
    checklist = "C2"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        # A blank value may be a `!Ref` to a NoEcho parameter whose default is '' (the secret is supplied at
        # deploy time); the model keeps no provenance, so while such a parameter exists a blank is not
        # taken as "nothing to protect".
        blank_param = any(p.no_echo and p.has_default and p.default in (None, "") for p in ctx.app.parameters)
        for fn in ctx.app.functions:
            if fn.platform != "aws-lambda" or fn.kms_key is not None or not fn.environment:
                continue
            sensitive = [v.name for v in fn.environment if is_sensitive(v, blank_param)]
            if not sensitive:
                continue
            yield self.finding(
                f"function {fn.id} keeps sensitive environment variables ({', '.join(sensitive)}) encrypted only "
                "with the AWS managed key aws/lambda (no KmsKeyArn)",
                _key_line(fn), fn.id, function=fn.id,
                fix="Set `KmsKeyArn` to a customer-managed AWS::KMS::Key whose key policy allows only the "
                    "function's role and its administrators to decrypt.",
            )


def _key_line(fn: Function) -> Location:
    return fn.location
