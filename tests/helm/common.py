"""Shared set-up of the chart tests: paths, tools, rendering."""

import os
import shutil
import subprocess
import sys

SKIP = 77  # ctest SKIP_RETURN_CODE

SOURCE_DIR = os.environ.get("VIGIL_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SHARED_DIR = os.environ.get("VIGIL_SHARED_DIR") or os.path.join(SOURCE_DIR, "..", "shared")
BUILD_DIR = os.environ.get("VIGIL_BUILD_DIR", "")
CHART_DIR = os.path.join(SOURCE_DIR, "deploy", "helm", "vigil")
SPEC_SCHEMA = os.path.join(CHART_DIR, "files", "tracingpolicy-spec.schema.yaml")


def skip(reason):
    print(f"SKIPPED: {reason}")
    sys.exit(SKIP)


def require_python_modules():
    try:
        import jsonschema  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as e:
        skip(f"{e.name} is missing: install python3-yaml and python3-jsonschema (scripts/install-deps.sh)")


def find_helm():
    """$HELM, then PATH, then where scripts/install-helm.sh puts it; None if absent."""
    if os.environ.get("HELM"):
        return os.environ["HELM"]
    on_path = shutil.which("helm")
    if on_path:
        return on_path
    out = subprocess.run(["bash", os.path.join(SOURCE_DIR, "scripts", "install-helm.sh"), "--print-bin-dir"],
                         capture_output=True, text=True, check=False)
    candidate = os.path.join(out.stdout.strip(), "helm")
    return candidate if out.returncode == 0 and os.access(candidate, os.X_OK) else None


def policy_documents(path):
    """Every non-empty YAML document of a file."""
    import yaml
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]
