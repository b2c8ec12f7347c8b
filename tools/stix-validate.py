#!/usr/bin/python3
"""stix-validate.py SCHEMA_DIR BUNDLE.json... - check STIX 2.1 bundles
against the OASIS STIX 2.1 JSON schemas.

The schemas are third-party files and are not kept in this repository.  They
are the schemas/ folder of the OASIS repository oasis-open/cti-stix2-json-schemas
(branch master); for example, from a clone or a bare mirror of it:

    git --git-dir=cti-stix2-json-schemas/.git archive HEAD schemas \
        | tar -x -C /tmp/stix-schemas
    tools/stix-validate.py /tmp/stix-schemas/schemas bundle.json

SCHEMA_DIR is the folder that holds common/, sdos/, sros/ and observables/.
The schemas name each other by relative URL against their $id
(http://raw.githubusercontent.com/.../schemas/common/core.json); every $id is
mapped to its local file, and any other URL is refused, so a run never goes
to the network.

Each bundle is validated against common/bundle.json, which is the verdict;
each object is then validated against its own type's schema as well, for an
error message that names the object instead of a failed oneOf.  A
marking-definition that uses the TLP 2.0 extension must also be one of the
five objects its extension schema allows (id, name and tlp_2_0 together; the
OASIS cti-stix-common-objects tlp-2.0 marking-definition.json).

Needs Debian's python3-jsonschema (4.x).  Exit status 0 when every bundle is
valid, 1 otherwise.
"""
import json
import os
import sys

import jsonschema

TLP_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_2_0 = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": ("TLP:CLEAR", "clear"),
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": ("TLP:GREEN", "green"),
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": ("TLP:AMBER", "amber"),
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": (
        "TLP:AMBER+STRICT", "amber+strict"),
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": ("TLP:RED", "red"),
}


def load_store(root):
    """Every schema under root by its $id, and by type name its path."""
    store, by_type = {}, {}
    for sub in ("common", "sdos", "sros", "observables"):
        folder = os.path.join(root, sub)
        if not os.path.isdir(folder):
            sys.exit(f"{root}: no {sub}/ folder: not the STIX schemas/ directory")
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                schema = json.load(f)
            store[schema["$id"]] = schema
            if sub != "common" or name == "marking-definition.json":
                by_type[name[:-5]] = schema["$id"]
    return store, by_type


def offline(uri):
    raise jsonschema.exceptions.RefResolutionError(
        f"{uri}: not among the local schemas (no network lookups)")


def validator(store, schema_id):
    schema = store[schema_id]
    resolver = jsonschema.RefResolver(
        base_uri=schema_id, referrer=schema, store=store,
        handlers={"http": offline, "https": offline})
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, resolver=resolver)


def deepest(error):
    """The most specific error under a failed oneOf/anyOf."""
    while error.context:
        error = min(error.context, key=lambda e: (-len(e.absolute_path), str(e.message)))
    return error


def short(message, limit=300):
    return message if len(message) <= limit else message[:limit] + "..."


def bundle_id(store):
    for schema_id in store:
        if schema_id.endswith("/common/bundle.json"):
            return schema_id
    sys.exit("no common/bundle.json among the schemas")


def check_tlp(obj):
    ext = (obj.get("extensions") or {}).get(TLP_EXT)
    if ext is None:
        return []
    want = TLP_2_0.get(obj.get("id"))
    if want is None:
        return [f"{obj.get('id')}: not one of the five TLP 2.0 marking-definitions"]
    if obj.get("name") != want[0] or ext.get("tlp_2_0") != want[1] \
            or ext.get("extension_type") != "property-extension":
        return [f"{obj['id']}: is {want[0]} / {want[1]}, not "
                f"{obj.get('name')} / {ext.get('tlp_2_0')}"]
    return []


def check_bundle(path, store, by_type, bundle_validator):
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    problems = []
    for e in sorted(bundle_validator.iter_errors(bundle), key=str):
        where = "/".join(str(p) for p in e.absolute_path) or "(bundle)"
        if len(e.absolute_path) >= 2 and e.absolute_path[0] == "objects":
            # a failed oneOf over every type: the object's own schema says why
            problems.append(f"bundle.json: {where}: not a valid STIX object")
        else:
            problems.append(f"bundle.json: {where}: {short(deepest(e).message)}")
    for i, obj in enumerate(bundle.get("objects", [])):
        t = obj.get("type")
        label = f"objects/{i} ({obj.get('id')})"
        if t not in by_type:
            problems.append(f"{label}: no schema for type {t!r}")
            continue
        v = validator(store, by_type[t])
        for e in sorted(v.iter_errors(obj), key=str):
            d = deepest(e)
            where = "/".join(str(p) for p in d.absolute_path) or "(object)"
            problems.append(f"{label}: {t}.json: {where}: {short(d.message)}")
        if t == "marking-definition":
            problems.extend(f"{label}: {p}" for p in check_tlp(obj))
    return bundle, problems


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    store, by_type = load_store(argv[1])
    bundle_validator = validator(store, bundle_id(store))
    failed = 0
    for path in argv[2:]:
        bundle, problems = check_bundle(path, store, by_type, bundle_validator)
        types = {}
        for obj in bundle.get("objects", []):
            types[obj.get("type")] = types.get(obj.get("type"), 0) + 1
        summary = ", ".join(f"{n} {t}" for t, n in types.items())
        if problems:
            failed += 1
            print(f"INVALID {path}: {summary}")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"valid   {path}: {summary}")
    print(f"{len(argv) - 2 - failed} valid, {failed} invalid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
