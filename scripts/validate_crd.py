#!/usr/bin/env python3
"""Validates the InferenceService CRD and objects against it, outside a cluster.

Subcommands (exit 0: valid, 1: something invalid, 2: could not run):

  crd FILE
      - validates the CustomResourceDefinition object itself against the
        Kubernetes OpenAPI schema of apiextensions.k8s.io/v1 with
        kubernetes-validate (strict: unknown fields are errors);
      - checks the schema is structural (every node typed, no properties next
        to additionalProperties, list-map keys required or defaulted, every
        default valid against its own node);
      - compiles every x-kubernetes-validations rule with cel-python (celpy):
        this parses the CEL text and expands macros (has, all, exists, ...);
        celpy does not type-check, so we also resolve every `self.a.b` chain
        in a rule against the schema and fail on a field that does not exist.

  objects --crd FILE OBJ...
      applies the schema's defaults like the API server, validates each
      object against the openAPIV3Schema with jsonschema, then evaluates every
      CEL rule (with celpy) at its place in the defaulted object. Prints one
      line per object: "OK kind/name" or "INVALID kind/name: <path>: <msg>".

  builtin FILE...
      validates built-in Kubernetes objects (rendered Deployments, Services)
      with kubernetes-validate, strict.

Files may be YAML (several documents) or JSON.
"""
import argparse
import json
import re
import sys

KUBERNETES_VERSION = "1.31"


def load_documents(path):
    import yaml

    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def kubernetes_validate(doc):
    import kubernetes_validate

    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        return None
    except kubernetes_validate.ValidationError as e:
        where = ".".join(str(p) for p in e.path) or "(root)"
        return f"{where}: {e.message}"
    except kubernetes_validate.SchemaNotFoundError as e:
        return e.message


# ---------------------------------------------------------------- schema walks


def walk(schema, path="", on_node=None):
    """Calls on_node(path, node) for every schema node, depth first."""
    on_node(path, schema)
    for key, child in (schema.get("properties") or {}).items():
        walk(child, f"{path}.{key}", on_node)
    if isinstance(schema.get("additionalProperties"), dict):
        walk(schema["additionalProperties"], f"{path}.*", on_node)
    if isinstance(schema.get("items"), dict):
        walk(schema["items"], f"{path}[*]", on_node)


def structural_problems(schema):
    import jsonschema

    problems = []

    def check(path, node):
        where = path or "(root)"
        if "type" not in node and not node.get("x-kubernetes-int-or-string") and not node.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            problems.append(f"{where}: no type")
        if "properties" in node and "additionalProperties" in node:
            problems.append(f"{where}: properties and additionalProperties together")
        if node.get("x-kubernetes-list-type") == "map":
            item = node.get("items") or {}
            for key in node.get("x-kubernetes-list-map-keys") or []:
                sub = (item.get("properties") or {}).get(key)
                if sub is None:
                    problems.append(f"{where}: list-map key {key} is not a property of the items")
                elif key not in (item.get("required") or []) and "default" not in sub:
                    problems.append(f"{where}: list-map key {key} must be required or defaulted")
        if "default" in node:
            try:
                jsonschema.Draft4Validator(strip_extensions(node)).validate(apply_defaults(node, node["default"]))
            except jsonschema.ValidationError as e:
                problems.append(f"{where}: default does not validate: {e.message}")
        for rule in node.get("x-kubernetes-validations") or []:
            field_path = rule.get("fieldPath")
            if field_path and resolve_field_path(node, field_path) is None:
                problems.append(f"{where}: fieldPath {field_path} names no field")

    walk(schema, "", check)
    return problems


def resolve_field_path(node, field_path):
    current = node
    for part in field_path.strip(".").split("."):
        current = (current.get("properties") or {}).get(part)
        if current is None:
            return None
    return current


def strip_extensions(schema):
    """OpenAPI v3 -> JSON Schema draft 4: drop x-kubernetes-* and formats jsonschema does not know."""
    if isinstance(schema, dict):
        return {k: strip_extensions(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if isinstance(schema, list):
        return [strip_extensions(v) for v in schema]
    return schema


def apply_defaults(schema, value):
    """The API server's structural defaulting (see ServingAPI.StructuralDefaulting)."""
    if isinstance(value, dict):
        value = dict(value)
        props = schema.get("properties")
        if props:
            for key, sub in props.items():
                if value.get(key) is None and "default" in sub:
                    value[key] = json.loads(json.dumps(sub["default"]))
                if key in value and value[key] is not None:
                    value[key] = apply_defaults(sub, value[key])
        elif isinstance(schema.get("additionalProperties"), dict):
            value = {k: apply_defaults(schema["additionalProperties"], v) for k, v in value.items()}
        return value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(schema["items"], v) for v in value]
    return value


# ---------------------------------------------------------------------- CEL

SELF_CHAIN = re.compile(r"\bself((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def cel_rules(schema):
    rules = []
    walk(schema, "", lambda path, node: rules.extend((path, node, r) for r in node.get("x-kubernetes-validations") or []))
    return rules


def cel_compile_problems(schema):
    import celpy

    env = celpy.Environment()
    problems = []
    for path, node, rule in cel_rules(schema):
        where = path or "(root)"
        try:
            env.program(env.compile(rule["rule"]))
        except Exception as e:  # celpy raises CELParseError and friends
            problems.append(f"{where}: rule {rule['rule']!r} does not compile: {e}")
            continue
        for chain in SELF_CHAIN.findall(rule["rule"]):
            fields = chain.strip(".").split(".")
            current = node
            for i, field in enumerate(fields):
                if field in ("size", "contains", "startsWith", "endsWith", "matches", "all", "exists"):
                    break
                if path == "" and fields[:2] == ["metadata", "name"]:
                    break
                sub = (current.get("properties") or {}).get(field)
                if sub is None:
                    problems.append(f"{where}: rule {rule['rule']!r} reads self.{'.'.join(fields[:i + 1])}, which is not in the schema")
                    break
                current = sub
        if not rule.get("message") and not rule.get("messageExpression"):
            problems.append(f"{where}: rule {rule['rule']!r} has no message")
    return problems


def cel_evaluation_problems(schema, obj):
    """Evaluates every rule at its place in obj; returns (path, message) failures."""
    import celpy

    env = celpy.Environment()
    failures = []

    def visit(node, value, path):
        if value is None:
            return
        for rule in node.get("x-kubernetes-validations") or []:
            program = env.program(env.compile(rule["rule"]))
            try:
                ok = bool(program.evaluate({"self": celpy.json_to_cel(value)}))
            except Exception as e:
                ok = False
                rule = dict(rule, message=f"{rule.get('message', '')} (evaluation error: {e})")
            if not ok:
                failures.append(((path + (rule.get("fieldPath") or "")).lstrip("."), rule.get("message", rule["rule"])))
        if isinstance(value, dict):
            for key, sub in (node.get("properties") or {}).items():
                if key in value:
                    visit(sub, value[key], f"{path}.{key}")
            if isinstance(node.get("additionalProperties"), dict):
                for key, item in value.items():
                    visit(node["additionalProperties"], item, f"{path}.{key}")
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for i, item in enumerate(value):
                visit(node["items"], item, f"{path}[{i}]")

    visit(schema, obj, "")
    return failures


def server_path(path):
    """A walk path (".spec.replicas") in the API server's notation for schema nodes
    ("properties[spec].properties[replicas]"); items are "items"."""
    parts = []
    for segment in path.replace("[*]", ".[*]").split("."):
        if not segment:
            continue
        if segment == "[*]":
            parts.append("items")
        elif segment == "*":
            parts.append("additionalProperties")
        else:
            parts.append(f"properties[{segment}]")
    return ".".join(parts)


def cel_error_text(error):
    """cel-python's evaluation error in cel-go's words, where they differ
    ("no such member in mapping: 'min'" is cel-go's "no such key: min")."""
    text = str(error.args[0]) if getattr(error, "args", None) else str(error)
    match = re.match(r"no such member in mapping: '(.*)'$", text)
    return f"no such key: {match.group(1)}" if match else text


def rules_on_value(env, node, value, on_failure):
    """Evaluates the rules of node and of every node below it that value
    reaches, on value as it is (no defaults applied): the API server's CEL
    validator walked over a subtree (apiextensions-apiserver schema/cel
    Validator.validate). on_failure(rule, error_or_None) gets each rule that
    errs or yields false."""
    import celpy

    if value is None:
        return
    for rule in node.get("x-kubernetes-validations") or []:
        try:
            result = env.program(env.compile(rule["rule"])).evaluate({"self": celpy.json_to_cel(value)})
            if isinstance(result, Exception):
                on_failure(rule, result)
            elif not bool(result):
                on_failure(rule, None)
        except Exception as e:
            on_failure(rule, e)
    if isinstance(value, dict):
        for key, sub in (node.get("properties") or {}).items():
            if key in value:
                rules_on_value(env, sub, value[key], on_failure)
        if isinstance(node.get("additionalProperties"), dict):
            for item in value.values():
                rules_on_value(env, node["additionalProperties"], item, on_failure)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            rules_on_value(env, node["items"], item, on_failure)


def default_rule_problems(schema, prefix="spec.validation.openAPIV3Schema"):
    """What the API server checks of every default at CRD creation
    (apiextensions-apiserver defaulting/validation.go validate(): the raw
    default, no nested defaults applied, must pass the CEL rules of its node
    and of the nodes below that it holds). Messages follow the server's
    (`<path>.default: Invalid value: ...: no such key: min evaluating rule: <message>`)."""
    import celpy

    env = celpy.Environment()
    problems = []

    def check(path, node):
        if "default" not in node:
            return
        where = ".".join(p for p in (prefix, server_path(path), "default") if p)

        def failed(rule, error):
            message = (rule.get("message") or rule["rule"]).strip()
            if error is None:
                problems.append(f"{where}: Invalid value: the default fails rule {rule['rule']!r}: {message}")
            else:
                problems.append(f"{where}: Invalid value: {cel_error_text(error)} evaluating rule: {message}")

        rules_on_value(env, node, node["default"], failed)

    walk(schema, "", check)
    return problems


# ----------------------------------------------------------------- commands


def crd_schema(crd):
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def command_crd(args):
    status = 0
    for path in args.files:
        (crd,) = load_documents(path)
        problems = []
        error = kubernetes_validate(crd)
        if error:
            problems.append(f"kubernetes-validate: {error}")
        for version in crd["spec"]["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            problems += [f"structural: {p}" for p in structural_problems(schema)]
            problems += [f"cel: {p}" for p in cel_compile_problems(schema)]
            problems += [f"default: {p}" for p in default_rule_problems(schema)]
        rules = sum(len(cel_rules(v["schema"]["openAPIV3Schema"])) for v in crd["spec"]["versions"])
        if problems:
            status = 1
            for p in problems:
                print(f"INVALID {path}: {p}")
        else:
            print(f"OK {path}: kubernetes-validate {KUBERNETES_VERSION} strict, structural, {rules} CEL rules compiled, "
                  f"every default passes its rules raw")
    return status


def command_objects(args):
    import jsonschema

    (crd,) = load_documents(args.crd)
    schema = crd_schema(crd)
    validator = jsonschema.Draft4Validator(strip_extensions(schema))
    status = 0
    for path in args.files:
        for obj in load_documents(path):
            label = f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"
            defaulted = apply_defaults(schema, obj)
            problems = []
            for e in sorted(validator.iter_errors(defaulted), key=lambda e: list(e.path)):
                where = ".".join(str(p) for p in e.path) or "(root)"
                problems.append(f"{where}: {e.message}")
            if not problems:
                problems = [f"{where}: {message}" for where, message in cel_evaluation_problems(schema, defaulted)]
            if problems:
                status = 1
                print(f"INVALID {label}: " + "; ".join(problems))
            else:
                print(f"OK {label}")
            if args.print_defaulted:
                print(json.dumps(defaulted, sort_keys=True))
    return status


def command_builtin(args):
    status = 0
    for path in args.files:
        for doc in load_documents(path):
            label = f"{doc.get('kind', '?')}/{(doc.get('metadata') or {}).get('name', '?')}"
            error = kubernetes_validate(doc)
            if error:
                status = 1
                print(f"INVALID {label}: {error}")
            else:
                print(f"OK {label}")
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("crd")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=command_crd)
    p = sub.add_parser("objects")
    p.add_argument("--crd", required=True)
    p.add_argument("--print-defaulted", action="store_true")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=command_objects)
    p = sub.add_parser("builtin")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=command_builtin)
    args = parser.parse_args()
    try:
        return args.run(args)
    except (OSError, ValueError, KeyError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
