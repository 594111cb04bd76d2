"""FG209, FG210, FG312, FG313, FG314 in every source format that can express them, scanned through the pipeline.

Fixtures under `fixtures/rules/planned_a/<format>-pos|neg/` mark what they expect as the per-rule fixtures do
(`# expect: FG314 OrdersApi low` on the line the finding must point at: rule, resource, optional severity);
a `-pos` directory must yield exactly its marks for each rule, a `-neg` directory nothing. The mutation tests
show each look-alike is quiet *because of* the detail that makes it safe: remove that detail and the rule
fires. The loader tests pin the typed model fields the rules read, for each format.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import Finding, Severity
from faasguard.model import Application, ResourceCategory, TriggerKind, Unknown
from faasguard.pipeline import load_sources, scan
from faasguard.rules import rule_meta
from faasguard.rules.identity import privileged_attribute

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules" / "planned_a"
DOCS_EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "docs_examples"
RULES = ("FG209", "FG210", "FG312", "FG313", "FG314")
FORMATS = ("sam", "tf", "sls")
_MARK = re.compile(r"#\s*expect:\s*(FG\d{3})\s+(\S+)(?:\s+(info|low|medium|high|critical)\b)?")


def _source(directory: Path) -> Path:
    return next(p for p in sorted(directory.iterdir()) if p.suffix in (".yaml", ".yml", ".tf"))


def expected(path: Path, rule_id: str) -> dict[tuple[str, str, int], str | None]:
    out: dict[tuple[str, str, int], str | None] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for m in _MARK.finditer(line):
            if m.group(1) == rule_id:
                out[(m.group(1), m.group(2), number)] = m.group(3)
    return out


def run(directory: Path, rule_id: str) -> list[Finding]:
    result = scan([str(directory)], Config(select=(rule_id,), severity=Severity.INFO), cwd=directory)
    assert not [d for d in result.diagnostics if d.kind.value == "internal-error"], result.diagnostics
    return [f for f in result.findings if f.rule_id == rule_id]


def found(findings: list[Finding]) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.resource, f.location.line) for f in findings}


def load(directory: Path) -> Application:
    result = load_sources([str(directory)], Config(), cwd=directory)
    apps = [a for a in result.apps if a.source.value != "code"]
    assert len(apps) == 1, result.diagnostics
    return apps[0]


def variant(tmp_path: Path, source_dir: Path, edits: list[tuple[str, str]]) -> Path:
    """A copy of a fixture directory with exact text replacements (each must apply once)."""
    target = tmp_path / source_dir.name
    shutil.copytree(source_dir, target)
    path = _source(target)
    text = path.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)
    return target


# ------------------------------------------------------------------------------------ fixtures


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rule_id", RULES)
def test_positive(fmt: str, rule_id: str) -> None:
    directory = FIXTURES / f"{fmt}-pos"
    want = expected(_source(directory), rule_id)
    assert want, f"{directory} marks no {rule_id}"
    findings = run(directory, rule_id)
    assert found(findings) == set(want)
    assert len(findings) == len(want), "one finding per offending node"
    for f in findings:
        assert f.message, f
        assert f.fix, f
        severity = want[(f.rule_id, f.resource, f.location.line)]
        if severity:
            assert f.severity.value == severity, f.message


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rule_id", RULES)
def test_negative(fmt: str, rule_id: str) -> None:
    directory = FIXTURES / f"{fmt}-neg"
    assert not expected(_source(directory), rule_id)
    assert run(directory, rule_id) == []


@pytest.mark.parametrize("rule_id", ["FG209", "FG314"])
def test_globals_are_one_finding_naming_every_inheritor(rule_id: str) -> None:
    directory = FIXTURES / "sam-globals"
    want = expected(_source(directory), rule_id)
    findings = run(directory, rule_id)
    assert found(findings) == set(want)
    assert len(findings) == 1
    for name in ("AdminApi", "PublicApi", "ServerlessRestApi"):
        assert name in findings[0].message


def test_values_are_never_copied_into_messages() -> None:
    for fmt in FORMATS:
        for f in run(FIXTURES / f"{fmt}-pos", "FG209"):
            for secret in ("9fK2xQ7mLp4vR8tZ1wYc", "Sup3rS3cretPassw0rd!", "sk_live_", "hunter2", "xoxb-"):
                assert secret not in f.message, f.message
                assert secret not in (f.fix or ""), f.fix


# ------------------------------------------------------------------------ docs examples


@pytest.mark.parametrize("rule_id", RULES)
def test_docs_example_yields_the_rule_and_fix_is_quiet(rule_id: str, tmp_path: Path) -> None:
    """The docs' own vulnerable example, as a file, scanned through the CLI pipeline, yields the rule; the
    docs' fix, the same way, does not."""
    meta = rule_meta(rule_id)
    assert meta is not None
    example = re.search(r"## Example\s*```yaml\n(.*?)```", meta.docs, re.S)
    fix = re.search(r"## Fix\s*```yaml\n(.*?)```", meta.docs, re.S)
    assert example
    assert fix
    fixture = DOCS_EXAMPLES / rule_id
    assert example.group(1) in (fixture / "template.yaml").read_text()
    assert run(fixture, rule_id), f"the {rule_id} docs example yields no finding"
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    (fixed / "template.yaml").write_text(fix.group(1))
    assert run(fixed, rule_id) == []


# --------------------------------------------------------------------------------- mutations


@pytest.mark.parametrize(("fmt", "rule_id", "edits", "resource"), [
    # FG313: the Deny-unless-source-IP statement is what keeps the SAM API private
    ("sam", "FG313", [("            - Effect: Deny\n              Principal: \"*\"\n              Action: "
                       "execute-api:Invoke\n              Resource: execute-api:/*\n              Condition:\n"
                       "                NotIpAddress:\n                  aws:SourceIp: 203.0.113.0/24\n", "")],
     "OrdersApi"),
    # FG313: the aws:SourceVpce condition on a private API
    ("sam", "FG313", [("                aws:SourceVpce: vpce-0a1b2c3d4e5f67890\n",
                       "                aws:SecureTransport: \"true\"\n"),
                      ("              StringEquals:\n                aws:SecureTransport",
                       "              Bool:\n                aws:SecureTransport")], "PrivateApi"),
    # FG210: the organization condition on the secret's policy
    ("sam", "FG210", [("aws:PrincipalOrgID: o-a1b2c3d4e5", "aws:PrincipalOrgID: \"*\"")],
     "DbSecretPolicy"),
    # FG210: kms:CallerAccount + kms:ViaService (the AWS-managed-key pattern) restrict a `*` key statement
    ("sam", "FG210", [("                kms:CallerAccount: !Ref AWS::AccountId\n"
                       "                kms:ViaService: !Sub ec2.${AWS::Region}.amazonaws.com\n",
                       "                aws:SecureTransport: \"true\"\n")], "DataKey"),
    # FG312: only administrators create users, and the role attribute is immutable
    ("sam", "FG312", [("        AllowAdminCreateUserOnly: true", "        AllowAdminCreateUserOnly: false")],
     "ShopWebClient"),
    # FG312: the client lists only harmless attributes
    ("sam", "FG312", [("        - email\n        - name\n", "        - email\n        - custom:isAdmin\n")],
     "OpenSignupClient"),
    # FG312: a minimum length of 8 is Cognito's default
    ("sam", "FG312", [("          MinimumLength: 8", "          MinimumLength: 7")], "ShopUserPool"),
    # FG312: the guest role is scoped to one app monitor
    ("sam", "FG312", [("                Resource: !Sub arn:aws:rum:${AWS::Region}:${AWS::AccountId}:appmonitor/shop",
                       "                Resource: \"*\"\n              - Effect: Allow\n"
                       "                Action: dynamodb:Scan\n                Resource: \"*\"")], "RumGuestRole"),
    # FG312: the broad role is only the authenticated one while the pool refuses guests
    ("sam", "FG312", [("      AllowUnauthenticatedIdentities: false", "      AllowUnauthenticatedIdentities: true")],
     "SignedInRole"),
    # FG314: an origin from a parameter is Unknown, never `*`
    ("sam", "FG314", [("            - !Ref AllowedOrigin", "            - \"*\"")], "OrdersFunctionUrl"),
    # FG209: a NoEcho parameter and a dynamic reference are the right pattern; a literal is not
    ("sam", "FG209", [("        PAYMENT_API_KEY: !Ref PaymentKey", "        PAYMENT_API_KEY: 9fK2xQ7mLp4vR8tZ1wYc")],
     "OrdersApiprodStage"),
    # FG209: SecureString is the fix
    ("tf", "FG209", [("  type  = \"SecureString\"", "  type  = \"String\"")], "aws_ssm_parameter.secure"),
    # FG210: block_public_policy makes Secrets Manager refuse the public policy
    ("tf", "FG210", [("  block_public_policy = true", "  block_public_policy = false")],
     "aws_secretsmanager_secret_policy.api"),
    # FG313: a Deny for everyone outside the VPC endpoint
    ("tf", "FG313", [("StringNotEquals", "StringEquals")], "aws_api_gateway_rest_api.orders"),
    # FG312: allow_admin_create_user_only closes sign-up for the immutable role attribute
    ("tf", "FG312", [("    allow_admin_create_user_only = true", "    allow_admin_create_user_only = false")],
     "aws_cognito_user_pool_client.web"),
    # FG314: explicit origins on a Serverless http event
    ("sls", "FG314", [("            origins:\n              - https://shop.example.com\n"
                       "              - https://admin.example.com\n", "            origin: \"*\"\n")],
     "ApiGatewayRestApi"),
    # FG313: the source-IP condition of the Serverless resource policy
    ("sls", "FG313", [("              - 203.0.113.0/24", "              - 0.0.0.0/0")], "ApiGatewayRestApi"),
])
def test_quiet_because_of_the_safe_detail(fmt: str, rule_id: str, edits: list[tuple[str, str]], resource: str,
                                          tmp_path: Path) -> None:
    directory = FIXTURES / f"{fmt}-neg"
    assert run(directory, rule_id) == []
    mutated = variant(tmp_path, directory, edits)
    assert resource in {f.resource for f in run(mutated, rule_id)}


# ------------------------------------------------------------------------------------ model


@pytest.mark.parametrize("fmt", FORMATS)
def test_loaders_fill_the_typed_fields(fmt: str) -> None:
    """Rules read the model, never a format's spelling: each loader fills the same fields."""
    app = load(FIXTURES / f"{fmt}-pos")
    cors = [a.cors for a in app.apis if a.cors is not None]
    cors += [t.cors for t in app.triggers if t.kind is TriggerKind.FUNCTION_URL and t.cors is not None]
    assert any(c.allow_credentials is True for c in cors)
    assert all(isinstance(c.allow_origins, tuple) for c in cors)
    assert any(a.resource_policy is not None for a in app.apis)
    pools = [r for r in app.resources if r.category is ResourceCategory.USER_POOL]
    assert pools
    assert all(p.user_pool is not None and p.user_pool.clients for p in pools)
    params = [r for r in app.resources if r.category is ResourceCategory.PARAMETER]
    assert params
    assert all(p.parameter is not None for p in params)
    if fmt != "sls":
        assert any(v for a in app.apis for s in a.stages for v in s.variables)
        guests = [r for r in app.resources if r.category is ResourceCategory.IDENTITY_POOL]
        assert guests
        assert all(g.identity_pool and isinstance(g.identity_pool.unauthenticated_role, str)
                              for g in guests)
        assert any(r.resource_policy is not None for r in app.resources if r.category is ResourceCategory.SECRET)


def test_unresolved_values_are_unknown() -> None:
    app = load(FIXTURES / "tf-neg")
    url = next(t for t in app.triggers if t.kind is TriggerKind.FUNCTION_URL)
    assert url.cors is not None
    assert isinstance(url.cors.allow_origins, tuple)
    assert all(isinstance(o, Unknown) for o in url.cors.allow_origins)
    pool = next(r for r in app.resources if r.id == "aws_cognito_user_pool.shop")
    assert pool.user_pool is not None
    assert isinstance(pool.user_pool.minimum_length, Unknown)
    sam = load(FIXTURES / "sam-neg")
    pool = next(r for r in sam.resources if r.id == "OpenSignupPool")
    assert pool.user_pool is not None
    assert isinstance(pool.user_pool.minimum_length, Unknown)


def test_user_pool_attributes_are_named_as_tokens_carry_them() -> None:
    app = load(FIXTURES / "sam-pos")
    pool = next(r for r in app.resources if r.id == "ShopUserPool")
    assert pool.user_pool is not None
    assert isinstance(pool.user_pool.custom_attributes, tuple)
    assert [a.name for a in pool.user_pool.custom_attributes] == ["custom:role", "custom:isAdmin"]
    clients = {c.id: c.write_attributes for c in pool.user_pool.clients}
    assert clients == {"ShopUserPoolClient": ("email", "custom:role"), "ShopWebClient": None}


@pytest.mark.parametrize(("name", "privileged"), [
    ("custom:role", True), ("custom:isAdmin", True), ("custom:is_admin", True), ("custom:tenant_id", True),
    ("custom:tenantId", True), ("custom:accessLevel", True), ("custom:groups", True), ("custom:user_role", True),
    ("custom:favourite_colour", False), ("custom:cert_fingerprint", False), ("custom:level", False),
    ("custom:plan", False), ("custom:nickname", False),
])
def test_privileged_attribute_names(name: str, privileged: bool) -> None:
    assert privileged_attribute(name) is privileged
