#!/usr/bin/env python3
"""Render a kratos.yml into the compact value of the stack's KratosConfig parameter.

    python3 infra/render-kratos-config.py infra/kratos.example.yml > /tmp/kratos-config.json
    sam deploy --parameter-overrides "KratosConfig='$(cat /tmp/kratos-config.json)'" ...

(the single quotes matter: without them SAM CLI mangles the JSON; the output never
contains ', \\" or \\\\ so that the quoting holds).

What it does:
  * drops comments and whitespace: the output is one line of JSON, which is valid YAML;
  * inlines identity schemas given as file:// URLs (relative paths resolve against the
    kratos.yml's folder) as base64:// URLs of the minified schema, since the Lambda
    package holds only the `bootstrap` binary;
  * refuses keys the stack sets from its own parameters (dsn, secrets) so that secrets
    never end up in the plain-text KratosConfig parameter;
  * checks the size: Lambda allows 4 KB for all environment variables of a function
    together (names and values, secrets included) and CloudFormation 4 KB per
    parameter value. It fails above --max-bytes (default 3072, leaving ~1 KB for the
    secrets and the other variables).

Needs PyYAML (`pip install pyyaml`; scripts/check-template.sh's .venv-tools has it).
"""

import argparse
import base64
import json
import os
import sys
from urllib.parse import urlparse, unquote

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("PyYAML is required: pip install pyyaml (or use .venv-tools/bin/python)")

FORBIDDEN = {
    "dsn": "set by the stack (DSN=dynamodb://<table>)",
    "secrets": "pass them as the NoEcho SecretsDefault/SecretsCookie/SecretsCipher parameters",
}


def inline_schema(url: str, base_dir: str) -> str:
    if not url.startswith("file://"):
        return url
    parsed = urlparse(url)
    path = unquote(parsed.netloc + parsed.path)
    if not os.path.isabs(path):
        path = os.path.join(base_dir, path)
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    compact = json.dumps(schema, separators=(",", ":"), ensure_ascii=False)
    return "base64://" + base64.b64encode(compact.encode("utf-8")).decode("ascii")


def sam_safe(text: str) -> str:
    """Escape a JSON text so that it survives `sam deploy --parameter-overrides
    "KratosConfig='<text>'"`: SAM CLI unescapes \\" and \\\\ in parameter values and a '
    would end the quoting, so these are written as \\u escapes (same JSON value)."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1]
            out.append({'"': "\\u0022", "\\": "\\u005c"}.get(nxt, c + nxt))
            i += 2
            continue
        out.append("\\u0027" if c == "'" else c)
        i += 1
    return "".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", help="path to kratos.yml")
    ap.add_argument("--max-bytes", type=int, default=3072)
    args = ap.parse_args()

    with open(args.config, encoding="utf-8") as f:
        cfg = yaml.safe_load(f) or {}
    if not isinstance(cfg, dict):
        sys.exit(f"{args.config}: top level must be a mapping")

    for key, why in FORBIDDEN.items():
        if key in cfg:
            sys.exit(f"{args.config}: remove '{key}': {why}")

    base_dir = os.path.dirname(os.path.abspath(args.config))
    for schema in (cfg.get("identity") or {}).get("schemas") or []:
        if isinstance(schema, dict) and isinstance(schema.get("url"), str):
            schema["url"] = inline_schema(schema["url"], base_dir)

    out = sam_safe(json.dumps(cfg, separators=(",", ":"), ensure_ascii=False, default=str))
    size = len(out.encode("utf-8"))
    print(f"KRATOS_CONFIG: {size} bytes (limit here {args.max_bytes}; Lambda: 4096 for all variables)",
          file=sys.stderr)
    if size > args.max_bytes:
        print("too large: move identity schemas to https:// URLs or trim the config", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
