#!/usr/bin/env python3
"""Writes tests/contract/kratos-v1.3-api.json: the structure of the Kratos v1.3 OpenAPI
contract (paths, parameters, response and component schemas) with its prose removed.

The tests validate every response against it. Run it again if the contract changes:
    scripts/vendor-contract.py ../shared/kratos-v1.3/api.json
"""
import json
import sys
from pathlib import Path

PROSE = {"description", "example", "examples", "x-go-enum-desc", "summary", "title", "externalDocs"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in PROSE}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main():
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/kratos-v1.3/api.json")
    spec = json.loads(source.read_text())
    out = {
        "openapi": spec["openapi"],
        "paths": strip(spec["paths"]),
        "components": strip({k: v for k, v in spec["components"].items() if k in ("schemas", "responses")}),
    }
    target = Path(__file__).resolve().parent.parent / "tests" / "contract" / "kratos-v1.3-api.json"
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    operations = sum(1 for p in out["paths"].values() for m in p if m in ("get", "post", "put", "patch", "delete"))
    print(f"wrote {target} ({operations} operations)")


if __name__ == "__main__":
    main()
