#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validates a JSON document against a component schema of an OpenAPI file.

Used by the integration tests to check mecdns-syncd's Mp1 answers against
ETSI's MecAppSupportApi.yaml (tests/data/etsi/):

    validate_etsi.py --spec MecAppSupportApi.yaml --schema DnsRule [FILE|-]
    validate_etsi.py --spec ... --schema 'DnsRule[]' body.json   # array of DnsRule
    validate_etsi.py --spec ... --schema ProblemDetails body.json

The document is read from FILE, or stdin when FILE is '-' or absent.
Exit status: 0 valid; 1 invalid (every error printed); 2 usage or spec error.

Needs only Debian's python3-yaml and python3-jsonschema (4.10 in Debian 12,
newer versions work too). The JSON Schema dialect follows the OpenAPI
version: 3.1 files use their jsonSchemaDialect (2020-12, the default);
3.0 files use Draft 4 with OpenAPI's 'nullable' turned into a "null" type.
'$ref: #/components/schemas/...' is resolved over the loaded YAML document.
"""

import argparse
import copy
import json
import sys

import jsonschema
import yaml

SPEC_URI = "urn:mecdns:openapi-spec"


def fail_usage(message):
    print("validate_etsi: " + message, file=sys.stderr)
    sys.exit(2)


def openapi30_to_draft4(node):
    """OpenAPI 3.0 schema objects → Draft 4: 'nullable: true' allows null."""
    if isinstance(node, list):
        return [openapi30_to_draft4(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: openapi30_to_draft4(value) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            if "null" not in types:
                out["type"] = types + ["null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = out["enum"] + [None]
    return out


def pick_validator(doc):
    """The validator class for the file's OpenAPI version and dialect."""
    version = str(doc.get("openapi", ""))
    if version.startswith("3.0"):
        return jsonschema.Draft4Validator, True
    if not version.startswith("3.1"):
        fail_usage("unsupported OpenAPI version %r" % version)
    dialect = doc.get("jsonSchemaDialect", "https://json-schema.org/draft/2020-12/schema")
    if "2020-12" not in dialect:
        fail_usage("unsupported jsonSchemaDialect %r" % dialect)
    return jsonschema.Draft202012Validator, False


def make_validator(cls, doc, root):
    """A validator of root whose $refs resolve over the whole document."""
    try:
        # jsonschema >= 4.18: the 'referencing' registry.
        import referencing
        import referencing.jsonschema

        spec = (referencing.jsonschema.DRAFT4 if cls is jsonschema.Draft4Validator
                else referencing.jsonschema.DRAFT202012)
        resource = referencing.Resource.from_contents(doc, default_specification=spec)
        registry = referencing.Registry().with_resource(SPEC_URI, resource)
        return cls(root, registry=registry)
    except (ImportError, TypeError):
        # jsonschema 4.10 (Debian 12): RefResolver with the document as store.
        resolver = jsonschema.RefResolver(base_uri=SPEC_URI, referrer=doc,
                                          store={SPEC_URI: doc})
        return cls(root, resolver=resolver)


def load_json(path):
    def no_duplicates(pairs):
        obj = {}
        for key, value in pairs:
            if key in obj:
                raise ValueError("duplicate member %r" % key)
            obj[key] = value
        return obj

    def no_constant(name):
        raise ValueError("%s is not JSON" % name)

    if path in (None, "-"):
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="OpenAPI file (YAML or JSON)")
    parser.add_argument("--schema", required=True,
                        help="component schema name; NAME[] for an array of NAME")
    parser.add_argument("document", nargs="?", default="-", help="JSON file, or - for stdin")
    args = parser.parse_args()

    try:
        with open(args.spec, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        fail_usage("cannot load %s: %s" % (args.spec, e))
    if not isinstance(doc, dict):
        fail_usage("%s is not an OpenAPI document" % args.spec)

    cls, openapi30 = pick_validator(doc)
    if openapi30:
        doc = openapi30_to_draft4(copy.deepcopy(doc))

    name = args.schema
    is_array = name.endswith("[]")
    if is_array:
        name = name[:-2]
    schemas = doc.get("components", {}).get("schemas", {})
    if name not in schemas:
        fail_usage("no schema %r in %s" % (name, args.spec))
    # The spec's own schemas must be valid for the dialect, or validation means nothing.
    for key, schema in schemas.items():
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as e:
            fail_usage("schema %s of %s is not valid: %s" % (key, args.spec, e.message))

    ref = {"$ref": SPEC_URI + "#/components/schemas/" + name}
    root = {"type": "array", "items": ref} if is_array else ref
    validator = make_validator(cls, doc, root)

    try:
        instance = load_json(args.document)
    except (OSError, ValueError) as e:
        print("INVALID: not a JSON document: %s" % e)
        return 1

    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path)
            print("INVALID %s at /%s: %s" % (args.schema, where, error.message))
        return 1
    print("valid %s" % args.schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
