"""template.yaml for the local runtime and the template checks (development only, never shipped).

Four steps, each usable alone:

- `load_template`: read an AWS SAM / CloudFormation YAML template, short-form tags (``!Ref``,
  ``!GetAtt``, ``!Sub``, ...) turned into their long form (``{"Ref": ...}``, ``{"Fn::GetAtt": [...]}``).
- `package_template`: what ``sam package`` does, without uploading anything: every local
  ``CodeUri``/``ContentUri`` becomes an ``s3://`` URI (`code_artifacts` lists them, so that a caller can
  put stub objects there) and every local ``DefinitionUri`` becomes an inline ``Definition``.
- `translate`: aws-sam-translator's transform, offline (no AWS call, no credentials).
- `function_specs`: what the local runtime needs to call each function's handler in-process: its code
  directory, handler module and callable, and its environment with ``Ref``/``GetAtt``/``Sub`` resolved
  against parameter values and physical resource values.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_BUCKET = "nurture-local-artifacts"

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_LAYER = "AWS::Serverless::LayerVersion"
SERVERLESS_STATE_MACHINE = "AWS::Serverless::StateMachine"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
LAMBDA_LAYER = "AWS::Lambda::LayerVersion"
_SERVERLESS_APIS = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi")

# Which property of which resource type holds a local path that `sam package` uploads as a zip.
_CODE_PROPERTIES = {SERVERLESS_FUNCTION: "CodeUri", SERVERLESS_LAYER: "ContentUri"}

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.+)$")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(ValueError):
    """A template this module cannot load, package, translate or resolve; the message says where."""


# --- Loading -------------------------------------------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):
    """A YAML SafeLoader that understands CloudFormation's short-form intrinsic function tags.

    Dates stay strings (``AWSTemplateFormatVersion: 2010-09-09`` unquoted is not a `datetime.date`).
    """


# SafeLoader would turn unquoted dates into datetime.date; CloudFormation reads them as strings.
CloudFormationLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node.tag}", node.start_mark)


def _function_constructor(name: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {name: _construct_value(loader, node)}

    return construct


def _construct_get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_value(loader, node)
    if isinstance(value, str):
        # `!GetAtt Resource.Attribute`; the attribute itself may contain dots (Endpoint.Address).
        resource, dot, attribute = value.partition(".")
        if not dot or not resource or not attribute:
            raise yaml.constructor.ConstructorError(
                None, None, f"!GetAtt {value!r}: expected Resource.Attribute", node.start_mark
            )
        return {"Fn::GetAtt": [resource, attribute]}
    return {"Fn::GetAtt": value}


for _tag, _name in {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{short}": f"Fn::{short}"
        for short in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}.items():
    CloudFormationLoader.add_constructor(_tag, _function_constructor(_name))
CloudFormationLoader.add_constructor("!GetAtt", _construct_get_att)


def load_template(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a CloudFormation / SAM template (YAML or JSON) into plain dicts and lists."""
    path = Path(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources mapping)")
    return document


# --- Packaging -----------------------------------------------------------------------------------


def package_template(
    template: Mapping[str, Any], root: str | os.PathLike[str], bucket: str = DEFAULT_BUCKET
) -> dict[str, Any]:
    """The local "package" step: a copy of `template` that refers to no local file.

    - ``CodeUri`` (functions, and ``Globals.Function``) and ``ContentUri`` (layers) that are local paths
      become ``s3://<bucket>/<path relative to root>.zip``;
    - a state machine's ``DefinitionUri`` becomes an inline ``Definition`` (read from the JSON or YAML file),
      ``DefinitionSubstitutions`` kept as they are;
    - an API's local ``DefinitionUri`` (OpenAPI) becomes an inline ``DefinitionBody``.

    Paths are relative to `root` (the directory of template.yaml). A local path that does not exist is an
    error, as with ``sam package``. S3 URIs and ``{Bucket, Key}`` locations are left alone.
    """
    root = Path(root)
    packaged = copy.deepcopy(dict(template))
    function_globals = packaged.get("Globals", {}).get("Function")
    if isinstance(function_globals, dict) and _is_local(function_globals.get("CodeUri")):
        function_globals["CodeUri"] = _artifact_uri(
            root, function_globals["CodeUri"], bucket, "Globals.Function.CodeUri"
        )
    for logical_id, resource in _resources(packaged).items():
        kind = resource.get("Type")
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        where = f"{logical_id}.Properties"
        code_property = _CODE_PROPERTIES.get(kind) if isinstance(kind, str) else None
        if code_property and _is_local(properties.get(code_property)):
            properties[code_property] = _artifact_uri(
                root, properties[code_property], bucket, f"{where}.{code_property}"
            )
        elif kind == SERVERLESS_STATE_MACHINE and _is_local(properties.get("DefinitionUri")):
            properties["Definition"] = _read_document(root, properties.pop("DefinitionUri"), f"{where}.DefinitionUri")
        elif kind in _SERVERLESS_APIS and _is_local(properties.get("DefinitionUri")):
            properties["DefinitionBody"] = _read_document(
                root, properties.pop("DefinitionUri"), f"{where}.DefinitionUri"
            )
    return packaged


def code_artifacts(packaged: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (bucket, key) of every ``s3://`` CodeUri/ContentUri in a packaged template, sorted, no repeats."""
    found: set[tuple[str, str]] = set()
    candidates: list[Any] = [packaged.get("Globals", {}).get("Function", {}).get("CodeUri")]
    for resource in _resources(packaged).values():
        properties = resource.get("Properties")
        code_property = _CODE_PROPERTIES.get(resource.get("Type", ""))
        if code_property and isinstance(properties, dict):
            candidates.append(properties.get(code_property))
    for uri in candidates:
        match = _S3_URI.match(uri) if isinstance(uri, str) else None
        if match:
            found.add((match["bucket"], match["key"]))
    return sorted(found)


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def _local_path(root: Path, uri: str, where: str) -> Path:
    path = (root / uri).resolve()
    if not path.exists():
        raise TemplateError(f"{where}: {uri!r} does not exist (relative to {root})")
    return path


def _artifact_uri(root: Path, uri: str, bucket: str, where: str) -> str:
    path = _local_path(root, uri, where)
    try:
        relative = path.relative_to(root.resolve())
    except ValueError:
        raise TemplateError(f"{where}: {uri!r} is outside {root}") from None
    if relative == Path():
        raise TemplateError(f"{where}: {uri!r} is the project root: point it at a directory of its own")
    # The key is the directory's path, so that the translated template maps back to it (`function_specs`).
    return f"s3://{bucket}/{relative.as_posix()}.zip"


def _read_document(root: Path, uri: str, where: str) -> Any:
    path = _local_path(root, uri, where)
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=CloudFormationLoader)  # noqa: S506
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"{where}: {uri}: {exc}") from exc


def _resources(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        raise TemplateError("not a CloudFormation template (no Resources mapping)")
    return {logical_id: body for logical_id, body in resources.items() if isinstance(body, dict)}


# --- Translation ---------------------------------------------------------------------------------


def translate(
    template: Mapping[str, Any], region: str, parameter_values: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Translate a packaged SAM template to plain CloudFormation with aws-sam-translator, offline.

    The translator needs a region (for ``AWS::Region``/``AWS::Partition``): it reads it from the boto3
    session, so ``AWS_DEFAULT_REGION`` is set to `region` for the duration of the call. The only AWS call
    the translator can make is IAM ``ListPolicies``, to find the ARN of a managed policy named in
    ``Policies`` that is not in its bundled list: `_OfflineManagedPolicyLoader` refuses instead (write
    the policy's ARN). Nothing here needs credentials or a network.
    """
    from samtranslator.model.exceptions import InvalidDocumentException, InvalidTemplateException
    from samtranslator.translator.transform import transform

    unpackaged = [
        f"{logical_id}.{prop}"
        for logical_id, resource in _resources(template).items()
        for prop in ("CodeUri", "ContentUri", "DefinitionUri")
        if _is_local(resource.get("Properties", {}).get(prop))
        and resource.get("Type", "").startswith("AWS::Serverless")
    ]
    if unpackaged:
        raise TemplateError(f"package the template first: local paths in {', '.join(unpackaged)}")
    with _pinned_region(region):
        try:
            translated: dict[str, Any] = transform(
                copy.deepcopy(dict(template)), dict(parameter_values or {}), _OfflineManagedPolicyLoader()
            )
        except InvalidDocumentException as exc:
            causes = "; ".join(cause.message for cause in exc.causes)
            raise TemplateError(f"SAM translator: {causes}") from exc
        except InvalidTemplateException as exc:
            raise TemplateError(f"SAM translator: {exc.message}") from exc
    return translated


class _OfflineManagedPolicyLoader:
    """Stands in for samtranslator's `ManagedPolicyLoader` (which lists IAM policies through boto3).

    The translator resolves managed policy names from a map bundled with it (aws/serverless-application-model
    PR #2839) and calls the loader only for a name that is neither in that map nor an ARN. Offline there is no
    better answer, so that case is an error that says what to do.
    """

    def load(self) -> dict[str, str]:
        raise TemplateError(
            "a managed policy named in Policies is not in aws-sam-translator's bundled list; "
            "write its ARN instead (the local translation never calls IAM)"
        )


@contextmanager
def _pinned_region(region: str) -> Iterator[None]:
    from samtranslator.translator.arn_generator import ArnGenerator

    saved_env = os.environ.get("AWS_DEFAULT_REGION")
    saved_arn_region = ArnGenerator.BOTO_SESSION_REGION_NAME
    os.environ["AWS_DEFAULT_REGION"] = region
    # The partition lookup caches the first session region it sees; pin it so a later call with
    # another region (aws-cn, aws-us-gov) gets its own partition.
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    try:
        yield
    finally:
        ArnGenerator.BOTO_SESSION_REGION_NAME = saved_arn_region
        if saved_env is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved_env


# --- Functions for the local runtime -------------------------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function`` as the local runtime calls it."""

    logical_id: str
    code_dir: Path
    handler: str  # as in the template: "app.lambda_handler"
    module: str  # "app"
    function: str  # "lambda_handler"
    runtime: str | None
    timeout: int | None  # seconds
    memory_size: int | None  # MB
    environment: dict[str, str]
    layer_dirs: tuple[Path, ...]  # ContentUri of each layer of this template the function uses

    @property
    def module_path(self) -> Path:
        """The handler module's file, ``<code_dir>/app.py``.

        Every function has a module named ``app``: load each under a name of its own.
        """
        return self.code_dir.joinpath(*self.module.split(".")).with_suffix(".py")


def function_specs(
    template: Mapping[str, Any],
    root: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    resources: Mapping[str, str] | None = None,
) -> dict[str, FunctionSpec]:
    """Every function of a template, as the local runtime calls it, by logical id.

    `template` is template.yaml as loaded (``AWS::Serverless::Function``, ``Globals`` applied, local
    ``CodeUri``), as packaged, or as translated (``AWS::Lambda::Function``): code packaged by
    `package_template` maps back to its directory under `root`, since its key is that directory's path.
    `parameters`: values for the template's Parameters (a parameter left out takes its Default; one with
    no Default is an error) and for pseudo parameters (``AWS::Region``, ``AWS::AccountId``, ...).
    `resources`: physical values of resources, by logical id for ``Ref`` (a queue's URL, a table's name, a
    state machine's ARN) and by ``"LogicalId.Attribute"`` for ``GetAtt``.
    Environment values are resolved through ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
    ``Fn::Select`` and ``Fn::Split``; a value that cannot be resolved is an error naming the variable.
    """
    root = Path(root)
    resolver = _Resolver(_parameter_values(template, parameters or {}), dict(resources or {}))
    function_globals = template.get("Globals", {}).get("Function", {})
    all_resources = _resources(template)
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in all_resources.items():
        where = f"{logical_id}.Properties"
        if resource.get("Type") == SERVERLESS_FUNCTION:
            properties = _merge_globals(function_globals, resource.get("Properties", {}))
            code_dir = _code_dir(root, properties.get("CodeUri"), f"{where}.CodeUri")
        elif resource.get("Type") == LAMBDA_FUNCTION:
            properties = resource.get("Properties", {})
            code_dir = _code_dir(root, properties.get("Code"), f"{where}.Code")
        else:
            continue
        handler = properties.get("Handler")
        if not isinstance(handler, str) or "." not in handler:
            raise TemplateError(f"{where}.Handler: expected 'module.function', got {handler!r}")
        module, _, function = handler.rpartition(".")
        variables = properties.get("Environment", {}).get("Variables", {})
        environment = {
            name: resolver.resolve(value, f"{where}.Environment.Variables.{name}") for name, value in variables.items()
        }
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=code_dir,
            handler=handler,
            module=module,
            function=function,
            runtime=properties.get("Runtime"),
            timeout=_optional_int(properties.get("Timeout")),
            memory_size=_optional_int(properties.get("MemorySize")),
            environment=environment,
            layer_dirs=_layer_dirs(properties.get("Layers", []), all_resources, root, where),
        )
    return specs


def resolve_value(
    template: Mapping[str, Any],
    value: Any,
    *,
    where: str,
    parameters: Mapping[str, Any] | None = None,
    resources: Mapping[str, str] | None = None,
) -> str:
    """One property value with its intrinsic functions resolved, as `function_specs` resolves
    environment variables (same `parameters` and `resources` conventions)."""
    return _Resolver(_parameter_values(template, parameters or {}), dict(resources or {})).resolve(value, where)


def _code_dir(root: Path, code: Any, where: str) -> Path:
    """The local directory behind a CodeUri / ContentUri (local path or our s3:// URI) or a Code / Content."""
    key: str
    if isinstance(code, dict) and isinstance(code.get("S3Key"), str):
        key = code["S3Key"]
    elif isinstance(code, str) and (match := _S3_URI.match(code)):
        key = match["key"]
    elif _is_local(code):
        return _local_path(root, code, where)
    else:
        raise TemplateError(f"{where}: expected a local directory, got {code!r}")
    if not key.endswith(".zip"):
        raise TemplateError(f"{where}: {key!r} is not an artifact of package_template")
    path = root / key.removesuffix(".zip")
    if not path.is_dir():
        raise TemplateError(f"{where}: {key!r} is not an artifact of package_template (no directory {path})")
    return path.resolve()


def _merge_globals(function_globals: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge (the function wins), lists concatenate (globals first), scalars override."""
    merged: dict[str, Any] = copy.deepcopy(dict(function_globals))
    for key, value in properties.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict) and not _is_intrinsic(value):
            merged[key] = _merge_globals(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = current + copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    if len(value) != 1:
        return False
    (key,) = value
    return key in ("Ref", "Condition") or str(key).startswith("Fn::")


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _layer_dirs(layers: Any, resources: Mapping[str, Mapping[str, Any]], root: Path, where: str) -> tuple[Path, ...]:
    dirs: list[Path] = []
    for layer in layers if isinstance(layers, list) else []:
        target = layer.get("Ref") if isinstance(layer, dict) else None
        resource = resources.get(target) if isinstance(target, str) else None
        if resource is None:
            continue  # a layer ARN from elsewhere: nothing local to add
        content = {SERVERLESS_LAYER: "ContentUri", LAMBDA_LAYER: "Content"}.get(resource.get("Type", ""))
        if content is not None:
            location = resource.get("Properties", {}).get(content)
            dirs.append(_code_dir(root, location, f"{where}.Layers ({target}.{content})"))
    return tuple(dirs)


def _parameter_values(template: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, str]:
    declared = template.get("Parameters", {}) or {}
    values = {name: str(value) for name, value in given.items() if name.startswith("AWS::")}
    unknown = sorted(name for name in given if not name.startswith("AWS::") and name not in declared)
    if unknown:
        raise TemplateError(f"unknown parameters: {', '.join(unknown)}")
    for name, declaration in declared.items():
        if name in given:
            value = str(given[name])
        elif "Default" in declaration:
            value = str(declaration["Default"])
        else:
            raise TemplateError(f"parameter {name} has no Default: give it a value")
        allowed = declaration.get("AllowedValues")
        if allowed is not None and value not in [str(item) for item in allowed]:
            raise TemplateError(f"parameter {name}: {value!r} is not one of {allowed}")
        pattern = declaration.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise TemplateError(f"parameter {name}: {value!r} does not match {pattern}")
        values[name] = value
    return values


class _Resolver:
    """Resolves the intrinsic functions an environment variable can reasonably hold."""

    def __init__(self, parameters: Mapping[str, str], resources: Mapping[str, str]) -> None:
        self._parameters = parameters
        self._resources = resources

    def resolve(self, value: Any, where: str) -> str:
        resolved = self._value(value, where)
        if isinstance(resolved, list):
            raise TemplateError(f"{where}: resolves to a list, not a string")
        return resolved

    def _value(self, value: Any, where: str) -> str | list[str]:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, list):
            return [self.resolve(item, where) for item in value]
        if not isinstance(value, dict) or len(value) != 1:
            raise TemplateError(f"{where}: cannot resolve {value!r}")
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._name(str(argument), where)
        if function == "Fn::GetAtt":
            target = ".".join(argument) if isinstance(argument, list) else str(argument)
            return self._lookup(self._resources, target, where, "GetAtt")
        if function == "Fn::Sub":
            return self._sub(argument, where)
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            delimiter, items = argument
            parts = self._value(items, where)
            return str(delimiter).join(parts if isinstance(parts, list) else [parts])
        if function == "Fn::Select" and isinstance(argument, list) and len(argument) == 2:
            index, items = argument
            parts = self._value(items, where)
            if not isinstance(parts, list) or not 0 <= int(self.resolve(index, where)) < len(parts):
                raise TemplateError(f"{where}: Fn::Select index {index!r} out of range")
            return parts[int(self.resolve(index, where))]
        if function == "Fn::Split" and isinstance(argument, list) and len(argument) == 2:
            delimiter, source = argument
            return self.resolve(source, where).split(str(delimiter))
        raise TemplateError(f"{where}: {function} is not supported here")

    def _sub(self, argument: Any, where: str) -> str:
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text, variables = argument
            local = {name: self.resolve(item, where) for name, item in variables.items()}
        elif isinstance(argument, str):
            text, local = argument, {}
        else:
            raise TemplateError(f"{where}: malformed Fn::Sub {argument!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return local[name]
            if "." in name and not name.startswith("AWS::"):
                return self._lookup(self._resources, name, where, "GetAtt")
            return self._name(name, where)

        return _SUB_VARIABLE.sub(substitute, str(text))

    def _name(self, name: str, where: str) -> str:
        if name in self._parameters:
            return self._parameters[name]
        if name.startswith("AWS::"):
            raise TemplateError(f"{where}: pseudo parameter {name} has no value: pass it in parameters")
        return self._lookup(self._resources, name, where, "Ref")

    @staticmethod
    def _lookup(values: Mapping[str, str], name: str, where: str, kind: str) -> str:
        try:
            return values[name]
        except KeyError:
            raise TemplateError(f"{where}: no value for {kind} {name}: pass it in resources") from None


# --- Checks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LintFinding:
    """One cfn-lint match, on template.yaml or on the SAM translator's output."""

    source: str  # the template file's name, or "SAM translator's output"
    rule: str  # E3001, W2001, ...
    severity: str  # "error", "warning" or "informational"
    location: str  # "line 12" in the file; a path such as Resources/X/Properties/Y in the translated output
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.location}: {self.rule} ({self.severity}) {self.message}"


TRANSLATED = "SAM translator's output"


def lint_templates(
    template_path: str | os.PathLike[str], region: str = "us-east-1", bucket: str = DEFAULT_BUCKET
) -> list[LintFinding]:
    """cfn-lint (errors and warnings) on a SAM template and on its translation.

    cfn-lint 1.x does not run the SAM transform, so the template itself is checked against the SAM
    resource schemas only; the translated output is where bad runtimes, schedule expressions and IAM
    documents show up. Translation needs the local paths the template names (see `package_template`).
    """
    from cfnlint.api import ManualArgs, lint

    path = Path(template_path)
    config = ManualArgs(regions=[region])
    findings = [
        LintFinding(path.name, match.rule.id, match.rule.severity, f"line {match.linenumber}", match.message)
        for match in lint(path.read_text(encoding="utf-8"), config=config)
    ]
    translated = translate(package_template(load_template(path), path.parent, bucket), region)
    with _recursion_limit(LINT_RECURSION_LIMIT):
        matches = lint(json.dumps(translated), config=config)
    findings += [
        LintFinding(TRANSLATED, match.rule.id, match.rule.severity, "/".join(map(str, match.path)), match.message)
        for match in matches
    ]
    return findings


# SAM inlines a state machine as an Fn::Join of its lines, and cfn-lint resolves an Fn::Join one
# nested call per element (cfnlint.jsonschema._resolvers_cfn._join_expansion): Python's default
# limit of 1000 frames gives out under 1000 lines, E1022 "maximum recursion depth exceeded"
# (acquisition_nurture's 1316 lines needed a limit between 1200 and 1500). Raised while linting only.
LINT_RECURSION_LIMIT = 20_000


@contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    import sys

    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def main(argv: list[str] | None = None) -> int:
    """``python -m nurture_local.template lint [TEMPLATE] [--region R]`` (what scripts/check-templates runs)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m nurture_local.template")
    commands = parser.add_subparsers(dest="command", required=True)
    lint_command = commands.add_parser("lint", help="cfn-lint on a SAM template and on the SAM translator's output")
    lint_command.add_argument("template", nargs="?", default="template.yaml", type=Path)
    lint_command.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    args = parser.parse_args(argv)
    try:
        findings = lint_templates(args.template, args.region)
    except TemplateError as exc:
        sys.stderr.write(f"check-templates: {exc}\n")
        return 2
    name = args.template.name
    if not findings:
        sys.stdout.write(f"cfn-lint: 0 errors on {name} and on the SAM translator's output\n")
        return 0
    for finding in findings:
        sys.stdout.write(f"{finding}\n")
    errors = sum(finding.severity == "error" for finding in findings)
    sys.stdout.write(
        f"cfn-lint: {errors} errors and {len(findings) - errors} other findings on {name} "
        "and on the SAM translator's output\n"
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
