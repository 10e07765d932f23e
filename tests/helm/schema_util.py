"""Turns a CRD's openAPIV3Schema into a JSON schema for `jsonschema`.

Unknown fields: the API server prunes them, and `kubectl apply` (strict
field validation, the default since Kubernetes 1.27) refuses them. The tests
take the strict view: every object with `properties` gets
`additionalProperties: false`, so a misspelt field fails here as it would
with kubectl.
"""

import copy


def strict_json_schema(openapi):
    schema = copy.deepcopy(openapi)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for key in list(node):
                if key.startswith("x-kubernetes-"):
                    del node[key]  # meaningless to jsonschema
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def crd_version_schema(crd, version="v1alpha1"):
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return v["schema"]["openAPIV3Schema"]
    raise KeyError(f"CRD {crd['metadata']['name']} has no version {version}")
