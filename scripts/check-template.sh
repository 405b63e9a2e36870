#!/usr/bin/env bash
# Lints and validates template.yaml offline (PyPI is the only network access needed,
# and only the first time, to install the tools into .venv-tools/).
#
#   scripts/check-template.sh            # run all checks
#   TEMPLATE=other.yaml scripts/check-template.sh
#
# Checks (all must pass; cfn-lint warnings count as failures):
#   1. cfn-lint template.yaml
#   2. sam validate --lint
#   3. sam validate --region us-east-1   (runs the SAM transform; catches bad policy templates)
#   4. admin-auth: after the SAM transform, every route of AdminApi requires AWS_IAM and
#      no /admin route is on PublicApi (the admin API must never be reachable anonymously).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TEMPLATE="${TEMPLATE:-template.yaml}"
VENV="$ROOT/.venv-tools"

# No AWS account is needed: keep the tools offline and away from any real credentials.
export SAM_CLI_TELEMETRY=0
export AWS_ACCESS_KEY_ID="${CHECK_AWS_ACCESS_KEY_ID:-AKIAIOSFODNN7EXAMPLE}"
export AWS_SECRET_ACCESS_KEY="${CHECK_AWS_SECRET_ACCESS_KEY:-wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}"
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL || true
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  python3 -m venv "$VENV"
fi
if [ ! -x "$VENV/bin/cfn-lint" ]; then
  echo "==> installing cfn-lint"
  "$VENV/bin/pip" install --quiet cfn-lint
fi
if [ ! -x "$VENV/bin/sam" ]; then
  echo "==> installing aws-sam-cli"
  "$VENV/bin/pip" install --quiet aws-sam-cli
fi

failed=()
run() {
  local name="$1"; shift
  echo "==> $name: $*"
  if "$@"; then
    echo "    ok"
  else
    echo "    FAILED ($name)"
    failed+=("$name")
  fi
}

run cfn-lint "$VENV/bin/cfn-lint" "$TEMPLATE"
run sam-validate-lint "$VENV/bin/sam" validate --lint --template-file "$TEMPLATE"
run sam-validate "$VENV/bin/sam" validate --region us-east-1 --template-file "$TEMPLATE"

admin_auth_check() {
  "$VENV/bin/python" - "$TEMPLATE" <<'PY'
import sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:  # the template uses no managed policy names: no IAM lookup needed
    def load(self):
        return {}


template = yaml_parse(open(sys.argv[1]).read())
# The transform wants an S3 CodeUri; the local path does not matter for this check.
template.setdefault("Globals", {}).setdefault("Function", {})["CodeUri"] = "s3://bucket/code.zip"
for res in template.get("Resources", {}).values():
    if res.get("Type") == "AWS::Serverless::Function" and "CodeUri" in res.get("Properties", {}):
        res["Properties"]["CodeUri"] = "s3://bucket/code.zip"
out = transform(template, {"CorsAllowedOrigins": ["https://app.example.com"]}, NoManagedPolicies())
resources = out["Resources"]
errors = []
routes = {}
for api in ("PublicApi", "AdminApi"):
    body = resources[api]["Properties"]["Body"]
    routes[api] = [(m, p, op) for p, ops in body.get("paths", {}).items() for m, op in ops.items()]
if not routes["AdminApi"]:
    errors.append("AdminApi has no routes")
for method, path, op in routes["AdminApi"]:
    if op.get("security") != [{"AWS_IAM": []}]:
        errors.append(f"AdminApi route {method} {path} is not AWS_IAM-protected: {op.get('security')}")
for method, path, op in routes["PublicApi"]:
    if path.startswith("/admin"):
        errors.append(f"PublicApi exposes admin route {method} {path}")
for name, res in resources.items():
    if res["Type"] == "AWS::ApiGatewayV2::Route":
        errors.append(f"unexpected explicit route {name}: check its AuthorizationType")
for e in errors:
    print("    " + e)
print(f"    AdminApi routes: {len(routes['AdminApi'])} (all AWS_IAM unless listed above); PublicApi routes: {len(routes['PublicApi'])}")
sys.exit(1 if errors else 0)
PY
}
run admin-auth admin_auth_check

if [ "${#failed[@]}" -ne 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all template checks passed"
