"""Processors that route records or change their fields, following the engine's processor code.

Error codes and messages are the engine's (``EXPR_03``, ``CONVERTER_00``, ``SPLITTER_02``...).
Each class reads its configs by their raw names (``expressionProcessorConfigs``,
``lanePredicates``...) once, compiling every expression before the first record.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import PreviewError
from . import _hashing, _java, _paths
from ._convert import Conversion, convert
from ._el import Expression, coerce_bool, coerce_double
from ._fields import Field
from ._functions import java_regex
from ._records import Record
from ._stages import Batch, StageContext, StageRun, error_text, register

__all__: list[str] = []


def _id(record: Record) -> str:
    return str(record._header.get("sourceId", ""))


def _rows(ctx: StageContext, name: str) -> list[Mapping[str, Any]]:
    value = ctx.config(name, [])
    if not isinstance(value, list):
        raise ctx.fail(f"must be a list of rows; got {value!r}", config=name)
    return [row for row in value if isinstance(row, Mapping)]


def _set(record: Record, path: str, field: Field) -> bool:
    """Set a field (the root too); False when the parent does not exist, as in the engine."""
    if path in ("", "/"):
        record._root = field
        return True
    return _paths.set_field(record._root, path, field)


def _delete_all(record: Record, paths: list[str]) -> None:
    """Delete fields, later list elements first so earlier indexes stay valid."""
    for path in sorted(paths, key=_index_key, reverse=True):
        if path in ("", "/"):
            record._root = None
        else:
            _paths.delete(record._root, path)


def _index_key(path: str) -> tuple[Any, ...]:
    return tuple((0, s.name) if s.kind == "key" else (1, s.index) for s in _paths.parse(path))


def _expression_failed(batch: Batch, record: Record, expression: Expression, error: PreviewError) -> None:
    batch.error(
        record,
        "EXPR_03",
        f"Cannot evaluate expression '{expression.source}' for record '{_id(record)}': {error.message}",
    )


class _RecordByRecord(StageRun):
    """A processor that handles each record on its own and sends it to output 0 unless it failed."""

    def process(self, batch: Batch) -> None:
        for record in batch.records:
            if self._record(batch, record):
                batch.send(record)

    def _record(self, batch: Batch, record: Record) -> bool:
        """Change ``record`` in place; False once it went to ``batch.error`` (or is gone)."""
        raise NotImplementedError


# -- Expression Evaluator ------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_processor_expression_ExpressionDProcessor", "Expression Evaluator")
class _ExpressionEvaluator(_RecordByRecord):
    """Sets fields, header attributes and field attributes from expressions, in that order."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.fields = [
            (
                str(row.get("fieldToSet") or ""),
                ctx.compile(row.get("expression", ""), "expressionProcessorConfigs"),
            )
            for row in _rows(ctx, "expressionProcessorConfigs")
            if row.get("fieldToSet")
        ]
        self.headers = [
            (
                str(row["attributeToSet"]),
                ctx.compile(row.get("headerAttributeExpression", ""), "headerAttributeConfigs"),
            )
            for row in _rows(ctx, "headerAttributeConfigs")
            if row.get("attributeToSet")
        ]
        self.field_attributes = [
            (
                str(row.get("fieldToSet") or ""),
                str(row["attributeToSet"]),
                ctx.compile(row.get("fieldAttributeExpression", ""), "fieldAttributeConfigs"),
            )
            for row in _rows(ctx, "fieldAttributeConfigs")
            if row.get("attributeToSet") and row.get("fieldToSet")
        ]

    def _value(self, batch: Batch, record: Record, expression: Expression) -> tuple[bool, Any]:
        try:
            return True, self.ctx.evaluate(expression, record)
        except PreviewError as error:
            _expression_failed(batch, record, expression, error)
            return False, None

    def _record(self, batch: Batch, record: Record) -> bool:
        for target, expression in self.fields:
            ok, value = self._value(batch, record, expression)
            if not ok:
                return False
            field = Field.from_el(value)
            targets = self.ctx.paths(record, target, config="expressionProcessorConfigs", keep_missing=True)
            for path in targets:
                if not _set(record, path, field.copy()):
                    batch.error(
                        record, "EXPR_02", f"Record '{_id(record)}' cannot set value in field '{target}'"
                    )
                    return False
        for name, expression in self.headers:
            ok, value = self._value(batch, record, expression)
            if not ok:
                return False
            record._attributes[name] = _java.to_string(value)
        for target, name, expression in self.field_attributes:
            ok, value = self._value(batch, record, expression)
            if not ok:
                return False
            for path in self.ctx.paths(record, target, config="fieldAttributeConfigs"):
                found = record.field(path)
                if found is not None:
                    found.attributes = {**(found.attributes or {}), name: _java.to_string(value)}
        return True


# -- Stream Selector -----------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_processor_selector_SelectorDProcessor", "Stream Selector")
class _StreamSelector(StageRun):
    """Sends each record to the first lane whose condition holds, else to the ``default`` lane."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        lanes = list(ctx.stage.output_lanes)
        predicates = ctx.stage.predicates
        if not predicates or predicates[-1].get("predicate") != "default":
            raise ctx.fail(
                "has no 'default' condition last (SELECTOR_07)",
                config="lanePredicates",
                hint="Add path.otherwise().to(...) so unmatched records have a lane.",
            )
        self.conditions: list[tuple[str, Expression, int]] = []
        where: dict[str, int] = {}
        for index, name in enumerate(lanes):
            where.setdefault(name, index)
        for entry in predicates[:-1]:
            lane = entry.get("outputLane", "")
            if lane not in where:
                raise ctx.fail(
                    f"condition {entry.get('predicate')!r} names no output lane (SELECTOR_02)",
                    config="lanePredicates",
                )
            text = str(entry.get("predicate", ""))
            self.conditions.append((text, ctx.compile(text, "lanePredicates"), where[lane]))
        self.default = lanes.index(predicates[-1]["outputLane"])

    def process(self, batch: Batch) -> None:
        for record in batch.records:
            self._route(batch, record)

    def _route(self, batch: Batch, record: Record) -> None:
        for text, condition, output in self.conditions:
            try:
                matched = coerce_bool(self.ctx.evaluate(condition, record))
            except (PreviewError, ValueError) as error:
                batch.error(
                    record,
                    "SELECTOR_09",
                    f"Error evaluating record '{_id(record)}' for '{text}' condition: {error_text(error)}",
                )
                return
            if matched:
                batch.send(record, output)
                return
        batch.send(record, self.default)


# -- Field Remover -------------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_processor_fieldfilter_FieldFilterDProcessor", "Field Remover")
class _FieldRemover(_RecordByRecord):
    """Removes (or keeps only) the listed fields; the REMOVE_* actions remove them on a condition."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.action = str(ctx.config("filterOperation", "REMOVE"))
        self.fields = [str(f) for f in ctx.config("fields", []) or []]
        self.constant = ctx.static(ctx.config("constant"), "constant")

    def _matches(self, record: Record) -> list[str]:
        found: list[str] = []
        for pattern in self.fields:
            found.extend(p for p in self.ctx.paths(record, pattern, config="fields") if p not in found)
        return found

    def _record(self, batch: Batch, record: Record) -> bool:
        matched = self._matches(record)
        if self.action == "KEEP":
            self._keep(record, matched)
        else:
            _delete_all(record, [p for p in matched if self._removes(record.field(p))])
        return True

    def _removes(self, field: Field | None) -> bool:
        if field is None:
            return False
        action = self.action
        empty = field.value == "" and field.type == "STRING"
        if action == "REMOVE":
            return True
        if action == "REMOVE_NULL":
            return field.value is None
        if action == "REMOVE_EMPTY":
            return empty
        if action == "REMOVE_NULL_EMPTY":
            return field.value is None or empty
        if action == "REMOVE_CONSTANT":
            return field.value is not None and _java.to_string(field.to_el()) == _java.to_string(
                self.constant
            )
        raise self.ctx.fail(f"action {action!r} is not supported", config="filterOperation")

    def _keep(self, record: Record, kept: list[str]) -> None:
        keep = {_paths.parse(p) for p in kept}
        doomed = []
        for path in record.paths:
            segments = _paths.parse(path)
            ancestor = any(k[: len(segments)] == segments for k in keep)
            inside = any(segments[: len(k)] == k for k in keep)
            if not ancestor and not inside:
                doomed.append(path)
        doomed_set = {_paths.parse(p) for p in doomed}
        outermost = []
        for path in doomed:
            segments = _paths.parse(path)
            if not any(segments[:n] in doomed_set for n in range(1, len(segments))):
                outermost.append(path)
        _delete_all(record, outermost)


# -- Field Renamer -------------------------------------------------------------------------------


def _patch_path_regex(expression: str) -> str:
    r"""A from-field expression as the engine's regex (``FieldRegexUtil.patchUpFieldPathRegex``).

    ``[*]`` and ``[(*)]`` match any list index, ``[0]`` and ``[(0)]`` that index, ``/*`` and
    ``/(*)`` any map key; then ``|`` inside quotes is a literal, as the engine escapes it.

    >>> print(_patch_path_regex("/(*)[(*)]/'a|b(.*)'"))
    /([^/\[]+)\[(\d+)\]/'a\|b(.*)'
    """
    patched = re.sub(r"\[(\(?)\*(\)?)\]", lambda m: rf"\[{m[1]}\d+{m[2]}\]", expression)
    patched = re.sub(r"\[(\(?)(\d+)(\)?)\]", lambda m: rf"\[{m[1]}{m[2]}{m[3]}\]", patched)
    patched = re.sub(r"(/\(?)\*(\)?)", lambda m: rf"{m[1]}[^/\[]+{m[2]}", patched)
    parts = java_split(patched, re.compile("'"), 0)
    return "".join("'" + part.replace("|", r"\|") + "'" if i % 2 else part for i, part in enumerate(parts))


def _canonical_path(path: str) -> str:
    """``path`` written as the engine writes record paths (names quoted when not plain)."""
    canonical = ""
    for segment in _paths.parse(path):
        canonical = _paths.join(canonical, segment.index if segment.kind == "index" else segment.name)
    return canonical


@register("com_streamsets_pipeline_stage_processor_fieldrenamer_FieldRenamerDProcessor", "Field Renamer")
class _FieldRenamer(_RecordByRecord):
    """Renames fields matched by regular expressions, like ``mv``; collisions as the error configs say.

    Version 1 rows (``fromField``/``toField``, literal paths) and its ``onStagePreConditionFailure``
    and ``overwriteExisting`` configs are read too.
    """

    legacy_configs = frozenset({"onStagePreConditionFailure", "overwriteExisting"})

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        # (pattern, to-field expression, from-field expression, literal version 1 row)
        self.rules: list[tuple[re.Pattern[str], str, str, bool]] = []
        for row in _rows(ctx, "renameMapping"):
            literal = "fromField" in row
            source = str(row.get("fromField" if literal else "fromFieldExpression") or "")
            target = str(row.get("toField" if literal else "toFieldExpression") or "")
            if not source:
                continue
            try:
                if literal:
                    source = str(ctx.static(source, "renameMapping"))
                    target = str(ctx.static(target, "renameMapping"))
                    pattern = java_regex(re.escape(_canonical_path(source)))
                else:
                    pattern = java_regex(_patch_path_regex(source))
            except (re.error, ValueError, PreviewError) as error:
                raise ctx.fail(
                    f"has an invalid from/to field expression {source!r}: {error} (FIELD_RENAMER_02)",
                    config="renameMapping",
                ) from None
            self.rules.append((pattern, target, source, literal))
        self.missing = str(ctx.config("errorHandler.nonExistingFromFieldHandling", "TO_ERROR"))
        self.existing = str(ctx.config("errorHandler.existingToFieldHandling", "TO_ERROR"))
        if ctx.config("onStagePreConditionFailure") is not None:
            self.missing = (
                "CONTINUE" if ctx.config("onStagePreConditionFailure") == "CONTINUE" else "TO_ERROR"
            )
            self.existing = "REPLACE" if ctx.config("overwriteExisting") else "TO_ERROR"
        self.multiple = str(ctx.config("errorHandler.multipleFromFieldsMatching", "TO_ERROR"))

    def _record(self, batch: Batch, record: Record) -> bool:
        paths = record.paths
        renames: dict[str, str] = {}
        matched_by: dict[str, str] = {}
        clashes: dict[str, list[str]] = {}
        missing: list[str] = []
        for pattern, target, source, literal in self.rules:
            hit = False
            for path in paths:
                found = pattern.fullmatch(path)
                if found is None:
                    continue
                hit = True
                if path in renames:
                    clashes.setdefault(path, [matched_by[path]]).append(source)
                else:
                    renames[path] = target if literal else self._target(target, found)
                    matched_by[path] = source
            if not hit:
                missing.append(source)
        for path in clashes:
            renames.pop(path)
        overwrite: list[str] = []
        order = _rename_order(paths)
        moved: dict[str, str] = {}
        for original_path, target_path in sorted(renames.items(), key=lambda item: order(item[0])):
            source_path = _moved_path(original_path, moved)
            field = record.field(source_path)
            if field is None:
                continue
            target = target_path
            if record.has(target):
                if self.existing == "TO_ERROR":
                    overwrite.append(target)
                    continue
                if self.existing == "CONTINUE":
                    continue
                if self.existing == "APPEND_NUMBERS":
                    number = 1
                    while record.has(f"{target}{number}"):
                        number += 1
                    target = f"{target}{number}"
            if not _set(record, target, field):
                batch.error(
                    record,
                    "FIELD_RENAMER_04",
                    f"Cannot set value in field '{target}'. Reason : its parent field does not exist",
                )
                return False
            if source_path != target:
                _paths.delete(record._root, source_path)
                moved[original_path] = target
        if self.missing == "TO_ERROR" and missing:
            batch.error(
                record,
                "FIELD_RENAMER_00",
                f"Record '{_id(record)}' does not contain fields '{', '.join(missing)}'",
            )
            return False
        if self.multiple == "TO_ERROR" and clashes:
            detail = "".join(f" Field: {path} Regex: {','.join(rules)}" for path, rules in clashes.items())
            batch.error(record, "FIELD_RENAMER_03", f"Same fields matched by multiple expressions. {detail} ")
            return False
        if overwrite:
            batch.error(
                record,
                "FIELD_RENAMER_01",
                f"Target Fields '{', '.join(overwrite)}' cannot be overwritten for record '{_id(record)}'",
            )
            return False
        return True

    def _target(self, expression: str, found: re.Match[str]) -> str:
        # The engine puts each group's text in for $0, $1... (plain text, not a regex replacement),
        # then evaluates the result, so ${str:toUpper("$1")} sees the group.
        for number in range(found.re.groups + 1):
            expression = expression.replace(f"${number}", found[number] or "")
        return str(self.ctx.static(expression, "renameMapping"))


def _rename_order(paths: list[str]) -> Callable[[str], tuple[int, ...]]:
    """Sort key for renames: parents before their fields, map keys in record order, and later list
    elements first, so moving one does not shift the next (as the engine's path comparator)."""
    position = {path: number for number, path in enumerate(paths)}

    def key(path: str) -> tuple[int, ...]:
        parts: list[int] = []
        prefix = ""
        for segment in _paths.parse(path):
            if segment.kind == "index":
                prefix = _paths.join(prefix, segment.index)
                parts.append(-segment.index)
            else:
                prefix = _paths.join(prefix, segment.name)
                parts.append(position.get(prefix, len(position)))
        return tuple(parts)

    return key


def _moved_path(path: str, moved: dict[str, str]) -> str:
    """Where ``path`` is now that some of its parents were renamed (``/A/b`` once ``/A`` went to ``/a``)."""
    for ancestor in sorted(moved, key=len, reverse=True):
        if path.startswith(ancestor) and path[len(ancestor) : len(ancestor) + 1] in ("/", "["):
            return moved[ancestor] + path[len(ancestor) :]
    return path


# -- Field Type Converter ------------------------------------------------------------------------


@register(
    "com_streamsets_pipeline_stage_processor_fieldtypeconverter_FieldTypeConverterDProcessor",
    "Field Type Converter",
)
class _FieldTypeConverter(_RecordByRecord):
    """Converts listed fields (BY_FIELD) or every field of a type (BY_TYPE) to a target type."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.by_type = ctx.config("convertBy", "BY_FIELD") == "BY_TYPE"
        name = "wholeTypeConverterConfigs" if self.by_type else "fieldTypeConverterConfigs"
        self.rows = [(row, Conversion.from_row(row)) for row in _rows(ctx, name)]

    def _targets(self, record: Record, row: Mapping[str, Any]) -> list[str]:
        if self.by_type:
            source = row.get("sourceType")
            return [p for p in _paths.all_paths(record.root) if record.field_type(p) == source]
        found: list[str] = []
        for pattern in row.get("fields") or []:
            found.extend(self.ctx.paths(record, str(pattern), config="fieldTypeConverterConfigs"))
        return found

    def _record(self, batch: Batch, record: Record) -> bool:
        for row, conversion in self.rows:
            for path in self._targets(record, row):
                field = record.field(path)
                if field is None:
                    continue
                if field.value == "" and conversion.target != "STRING":
                    action = str(row.get("inputFieldEmpty") or "ERROR")
                    if action == "IGNORE":
                        continue
                    if action == "DELETE":
                        if path in ("", "/"):
                            # Deleting the root leaves no record: the engine passes nothing on.
                            return False
                        _delete_all(record, [path])
                        continue
                    if action == "NULL":
                        _set(record, path, Field(conversion.target, None, field.attributes))
                        continue
                try:
                    converted = convert(field, conversion)
                except (ValueError, PreviewError) as error:
                    batch.error(
                        record,
                        "CONVERTER_00",
                        f"Failed to convert field '{path}' with value '{_java.to_string(field.to_el())}' "
                        f"to type '{conversion.target}': {error_text(error)}",
                    )
                    return False
                if converted.type == "DECIMAL" and isinstance(converted.value, Decimal):
                    converted = _with_decimal_attributes(converted)
                _set(record, path, converted)
        return True


def _with_decimal_attributes(field: Field) -> Field:
    """The engine's converter tells a DECIMAL's ``precision`` and ``scale`` in field attributes."""
    sign, digits, exponent = field.value.as_tuple()
    scale = -exponent if isinstance(exponent, int) else 0
    attributes = {**(field.attributes or {}), "precision": str(len(digits)), "scale": str(scale)}
    return Field(field.type, field.value, attributes)


# -- Record Deduplicator -------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_processor_dedup_DeDupDProcessor", "Record Deduplicator")
class _RecordDeduplicator(StageRun):
    """Output 0 gets unique records, output 1 duplicates, remembered across batches.

    Like the engine, records are compared by the values of the compared fields in sorted
    field-path order (names are not part of the comparison), within ``max_records_to_compare``.
    """

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.window = int(ctx.config("recordCountWindow", 1_000_000) or 1_000_000)
        self.specified = ctx.config("compareFields", "ALL_FIELDS") == "SPECIFIED_FIELDS"
        self.fields = [str(f) for f in ctx.config("fieldsToCompare", []) or []]
        self.seen: OrderedDict[bytes, None] = OrderedDict()

    def _key(self, record: Record) -> bytes:
        if self.specified:
            paths: list[str] = []
            for pattern in self.fields:
                paths.extend(
                    sorted(self.ctx.paths(record, pattern, config="fieldsToCompare", keep_missing=True))
                )
        else:
            paths = sorted(_paths.all_paths(record.root))
        fields = [record.field(p) or Field("STRING", None) for p in paths]
        return _hashing.funnel(f for f in fields if _hashing.supported(f))

    def process(self, batch: Batch) -> None:
        for record in batch.records:
            key = self._key(record)
            if key in self.seen:
                batch.send(record, 1)
                continue
            self.seen[key] = None
            if len(self.seen) > self.window:
                self.seen.popitem(last=False)
            batch.send(record, 0)


# -- Field Splitter ------------------------------------------------------------------------------


def java_split(text: str, pattern: re.Pattern[str], limit: int) -> list[str]:
    """Java's ``String.split(regex, limit)``: at most ``limit`` parts; with 0, trailing empties dropped.

    As in Java, text the separator never matches is the one part, but once it matched every trailing
    empty part goes, so ``" "`` split on ``\\s`` has no parts at all.
    """
    parts: list[str] = []
    start = 0
    for found in pattern.finditer(text):
        if limit > 0 and len(parts) == limit - 1:
            break
        if found.end() == 0:
            continue
        parts.append(text[start : found.start()])
        start = found.end()
    if not parts:
        return [text]
    parts.append(text[start:])
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


@register("com_streamsets_pipeline_stage_processor_splitter_SplitterDProcessor", "Field Splitter")
class _FieldSplitter(_RecordByRecord):
    """Splits a string field on a separator (a regular expression) into new fields."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.field = str(ctx.config("fieldPath", ""))
        separator = str(ctx.static(ctx.config("separator", " "), "separator"))
        try:
            self.separator = java_regex(separator)
        except re.error as error:
            raise ctx.fail(f"is not a valid regular expression: {error}", config="separator") from None
        self.targets = [str(p) for p in ctx.config("fieldPathsForSplits", []) or []]
        self.to_list = ctx.config("tooManySplitsAction", "TO_LAST_FIELD") == "TO_LIST"
        if not self.targets and not self.to_list:
            raise ctx.fail("needs at least one new split field (SPLITTER_00)", config="fieldPathsForSplits")
        self.remaining = str(ctx.config("remainingSplitsPath", ""))
        self.continue_on_failure = ctx.config("onStagePreConditionFailure", "TO_ERROR") == "CONTINUE"
        self.remove = ctx.config("originalFieldAction", "REMOVE") == "REMOVE"

    def _record(self, batch: Batch, record: Record) -> bool:
        field = record.field(self.field)
        splits: list[str] | None = None
        error: tuple[str, str] | None = None
        if field is None or field.value is None:
            error = (
                "SPLITTER_01",
                f"Field cannot split. The record '{_id(record)}' does not include the field '{self.field}'.",
            )
        elif field.is_container:
            batch.error(record, "SPLITTER_04", f"Field '{self.field}' of type {field.type} cannot be split")
            return False
        else:
            text = _java.to_string(field.to_el())
            splits = java_split(text, self.separator, 0 if self.to_list else len(self.targets))
            if len(splits) < len(self.targets):
                error = ("SPLITTER_02", f"The record '{_id(record)}' does not have enough splits")
        if error is not None and not self.continue_on_failure:
            batch.error(record, *error)
            return False
        for index, target in enumerate(self.targets):
            value = splits[index] if splits is not None and index < len(splits) else None
            _set(record, target, Field("STRING", value))
        if splits is not None and self.to_list and len(splits) > len(self.targets):
            rest = [Field("STRING", s) for s in splits[len(self.targets) :]]
            _set(record, self.remaining, Field("LIST", rest))
        if self.remove:
            _delete_all(record, [self.field])
        return True


# -- Field Merger --------------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_processor_fieldmerger_FieldMergerDProcessor", "Field Merger")
class _FieldMerger(_RecordByRecord):
    """Merges map or list fields into others (a rename when the target does not exist)."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.mapping = [
            (str(r.get("fromField") or ""), str(r.get("toField") or "")) for r in _rows(ctx, "mergeMapping")
        ]
        self.to_error = ctx.config("onStagePreConditionFailure", "TO_ERROR") == "TO_ERROR"
        self.overwrite = bool(ctx.config("overwriteExisting", False))

    def _record(self, batch: Batch, record: Record) -> bool:
        missing: list[str] = []
        blocked: list[str] = []
        for source_path, target_path in self.mapping:
            source = record.field(source_path)
            target = record.field(target_path)
            if source is None:
                missing.append(source_path)
                continue
            if target is None:
                if not source.is_container:
                    batch.error(record, "FIELD_MERGER_03", "Field merger only supports LIST and MAP types")
                    return False
                if not _set(record, target_path, source):
                    batch.error(record, "FIELD_MERGER_04", "Parent field for target does not exist")
                    return False
                _delete_all(record, [source_path])
                continue
            if source.is_map != target.is_map or not source.is_container or not target.is_container:
                batch.error(
                    record,
                    "FIELD_MERGER_02",
                    f"Cannot merge field of type {source.type} with field of type {target.type}",
                )
                return False
            if source.is_map:
                for key, child in source.value.items():
                    if key in target.value and not self.overwrite:
                        blocked.append(target_path)
                    else:
                        target.value[key] = child
            else:
                target.value.extend(source.value)
            _delete_all(record, [source_path])
        if self.to_error and missing:
            batch.error(
                record,
                "FIELD_MERGER_00",
                f"Record '{_id(record)}' does not contain fields '{', '.join(missing)}'",
            )
            return False
        if blocked:
            names = ", ".join(dict.fromkeys(blocked))
            batch.error(
                record,
                "FIELD_MERGER_01",
                f"Fields '{names}' cannot be overwritten for record '{_id(record)}'",
            )
            return False
        return True


# -- Field Flattener -----------------------------------------------------------------------------


def _flatten(
    field: Field, separator: str, prefix: str = "", out: dict[str, Field] | None = None
) -> dict[str, Field]:
    found: dict[str, Field] = {} if out is None else out
    if field.is_map and field.value is not None:
        for key, child in field.value.items():
            _flatten(child, separator, f"{prefix}{separator}{key}" if prefix else key, found)
    elif field.type == "LIST" and field.value is not None:
        for index, child in enumerate(field.value):
            _flatten(child, separator, f"{prefix}{separator}{index}" if prefix else str(index), found)
    else:
        found[prefix] = field
    return found


@register(
    "com_streamsets_pipeline_stage_processor_fieldflattener_FieldFlattenerDProcessor", "Field Flattener"
)
class _FieldFlattener(_RecordByRecord):
    """Flattens the whole record, or chosen fields, into one map with joined names (``a.b.0``)."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.entire = ctx.config("config.flattenType", "ENTIRE_RECORD") == "ENTIRE_RECORD"
        self.fields = [str(f) for f in ctx.config("config.fields", []) or []]
        self.in_place = bool(ctx.config("config.flattenInPlace", True))
        self.target = str(ctx.config("config.flattenTargetField", ""))
        self.collision = str(ctx.config("config.collisionFieldAction", "TO_ERROR"))
        self.remove = bool(ctx.config("config.removeFlattenedField", True))
        self.separator = str(ctx.static(ctx.config("config.nameSeparator", "."), "config.nameSeparator"))

    def _record(self, batch: Batch, record: Record) -> bool:
        root = record.root
        if root is None or not root.is_container:
            return True
        if self.entire:
            record._root = Field("MAP", _flatten(root, self.separator))
            return True
        target: Field | None = None
        if not self.in_place:
            target = record.field(self.target)
            if target is None:
                batch.error(
                    record, "FIELD_FLATTENER_02", f"Flatten target field '{self.target}' does not exists"
                )
                return False
            if not target.is_map:
                batch.error(
                    record,
                    "FIELD_FLATTENER_03",
                    f"Flatten target field '{self.target}' is not a MAP or LIST_MAP, it's {target.type}",
                )
                return False
        for path in self.fields:
            field = record.field(path)
            if field is None:
                batch.error(
                    record, "FIELD_FLATTENER_01", f"Field with path '{path}' was not found in the record"
                )
                return False
            flattened = _flatten(field, self.separator) if field.is_container else {}
            if target is None:
                _set(record, path, Field("MAP", flattened))
                continue
            for key, child in flattened.items():
                if key in target.value:
                    if self.collision == "DISCARD":
                        continue
                    if self.collision == "TO_ERROR":
                        batch.error(record, "FIELD_FLATTENER_04", f"Record already contains field '{key}'")
                        return False
                target.value[key] = child
            if self.remove:
                _delete_all(record, [path])
        return True


# -- Field Masker --------------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_processor_fieldmask_FieldMaskDProcessor", "Field Masker")
class _FieldMasker(_RecordByRecord):
    """Masks string fields: fixed or variable length, a custom mask (``#`` shows a character), a regex."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.rules: list[tuple[list[str], str, str, re.Pattern[str] | None, set[int]]] = []
        for row in _rows(ctx, "fieldMaskConfigs"):
            fields = [str(f) for f in row.get("fields") or []]
            kind = str(row.get("maskType") or "VARIABLE_LENGTH")
            pattern: re.Pattern[str] | None = None
            groups: set[int] = set()
            if kind == "REGEX":
                try:
                    pattern = java_regex(str(row.get("regex") or "(.*)"))
                except re.error as error:
                    raise ctx.fail(f"has an invalid regex: {error}", config="fieldMaskConfigs") from None
                try:
                    groups = {int(g) for g in str(row.get("groupsToShow") or "").split(",") if g.strip()}
                except ValueError:
                    raise ctx.fail(
                        f"groupsToShow {row.get('groupsToShow')!r} must list group numbers (MASK_01)",
                        config="fieldMaskConfigs",
                    ) from None
            if fields:
                self.rules.append((fields, kind, str(row.get("mask") or ""), pattern, groups))

    def _record(self, batch: Batch, record: Record) -> bool:
        not_strings: list[str] = []
        for fields, kind, mask, pattern, groups in self.rules:
            for wanted in fields:
                for path in self.ctx.paths(record, wanted, config="fieldMaskConfigs"):
                    field = record.field(path)
                    if field is None:
                        continue
                    if field.type != "STRING":
                        not_strings.append(path)
                    elif field.value is not None:
                        _set(record, path, Field("STRING", _mask(field.value, kind, mask, pattern, groups)))
        if not_strings:
            batch.error(
                record,
                "MASK_00",
                f"Fields '{', '.join(not_strings)}' of record '{_id(record)}' are not String fields",
            )
            return False
        return True


def _mask(value: str, kind: str, mask: str, pattern: re.Pattern[str] | None, groups: set[int]) -> str:
    if kind == "FIXED_LENGTH":
        return "xxxxxxxxxx"
    if kind == "VARIABLE_LENGTH":
        return "x" * len(value)
    if kind == "CUSTOM":
        return "".join(value[i] if c == "#" else c for i, c in enumerate(mask[: len(value)]))
    assert pattern is not None
    found = pattern.fullmatch(value)
    if found is None:
        return value
    masked = list("x" * len(value))
    for group in sorted(groups):
        if group <= (pattern.groups or 0) and found.start(group) >= 0:
            masked[found.start(group) : found.end(group)] = found.group(group)
    return "".join(masked)


# -- Field Hasher --------------------------------------------------------------------------------


# Raw config names, so an error names the rows it came from.
_LEGACY_HASHES = "fieldHasherConfigs"
_IN_PLACE = "hasherConfig.inPlaceFieldHasherConfigs"
_TO_TARGET = "hasherConfig.targetFieldHasherConfigs"
_ENTIRE = "hasherConfig.recordHasherConfig."


@register("com_streamsets_pipeline_stage_processor_fieldhasher_FieldHasherDProcessor", "Field Hasher")
class _FieldHasher(_RecordByRecord):
    """Hashes fields in place, into target fields or header attributes, or the whole record.

    Version 1 rows (``fieldHasherConfigs``) hash each field's text in place, as version 1 did.
    """

    legacy_configs = frozenset({"fieldHasherConfigs"})

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.legacy = _rows(ctx, _LEGACY_HASHES)
        self.in_place = _rows(ctx, _IN_PLACE)
        self.to_target = _rows(ctx, _TO_TARGET)
        self.separator = (
            str(ctx.config("hasherConfig.separatorCharacter", "\x00"))[:1]
            if ctx.config("hasherConfig.useSeparator", False)
            else None
        )
        self.entire = bool(ctx.config(_ENTIRE + "hashEntireRecord", False))
        self.entire_type = str(ctx.config(_ENTIRE + "hashType", "MD5"))
        self.entire_header = bool(ctx.config(_ENTIRE + "includeRecordHeaderForHashing", False))
        self.entire_separator = (
            str(ctx.config(_ENTIRE + "separatorCharacter", "\x00"))[:1]
            if ctx.config(_ENTIRE + "useSeparator", False)
            else None
        )
        self.entire_target = str(ctx.config(_ENTIRE + "targetField", "") or "")
        self.entire_attribute = str(ctx.config(_ENTIRE + "headerAttribute", "") or "")
        self.to_error = ctx.config("onStagePreConditionFailure", "TO_ERROR") == "TO_ERROR"

    def _record(self, batch: Batch, record: Record) -> bool:
        issues: tuple[list[str], list[str], list[str]] = ([], [], [])
        for row in self.legacy:
            for path in self._valid(record, row.get("fieldsToHash") or [], issues, _LEGACY_HASHES):
                field = record.field(path)
                assert field is not None
                text = _java.to_string(field.to_el()).encode("utf-8")
                _set(
                    record,
                    path,
                    Field("STRING", _hashing.digest(text, str(row.get("hashType") or "MD5"))),
                )
        for row in self.in_place:
            for path in self._valid(record, row.get("sourceFieldsToHash") or [], issues, _IN_PLACE):
                value = self._hash(record, [path], str(row.get("hashType") or "MD5"), _IN_PLACE)
                _set(record, path, Field("STRING", value))
        for row in self.to_target:
            valid = self._valid(record, row.get("sourceFieldsToHash") or [], issues, _TO_TARGET)
            self._store(
                record,
                valid,
                str(row.get("hashType") or "MD5"),
                _TO_TARGET,
                str(row.get("targetField") or ""),
                str(row.get("headerAttribute") or ""),
                issues[0],
            )
        if self.entire:
            valid = self._valid(record, _paths.all_paths(record.root), ([], [], []), _ENTIRE + "hashType")
            self._store(
                record,
                valid,
                self.entire_type,
                _ENTIRE + "hashType",
                self.entire_target,
                self.entire_attribute,
                issues[0],
                entire=True,
            )
        missing, nulls, containers = issues
        if self.to_error and (missing or nulls or containers):
            batch.error(
                record,
                "HASH_01",
                f"The record '{_id(record)}' has the following issues: fields '{', '.join(missing)}' do "
                f"not exist, fields '{', '.join(nulls)}' include null values, fields "
                f"'{', '.join(containers)}' are of type Map or List",
            )
            return False
        return True

    def _valid(
        self, record: Record, patterns: list[Any], issues: tuple[list[str], list[str], list[str]], config: str
    ) -> list[str]:
        matched: list[str] = []
        for pattern in patterns:
            for path in self.ctx.paths(record, str(pattern), config=config, keep_missing=True):
                if path not in matched:
                    matched.append(path)
        valid = []
        for path in _hashing.java_set_order(matched):
            field = record.field(path)
            if field is None:
                issues[0].append(path)
            elif not _hashing.supported(field):
                issues[2].append(path)
            elif field.value is None:
                issues[1].append(path)
            else:
                valid.append(path)
        return valid

    def _hash(
        self, record: Record, paths: list[str], hash_type: str, config: str, *, entire: bool = False
    ) -> str:
        separator = self.entire_separator if entire else self.separator
        fields = [record.field(p) or Field("STRING", None) for p in _hashing.java_set_order(paths)]
        attributes: list[str | None] = []
        if entire and self.entire_header:
            attributes = [
                record._attributes[name] for name in _hashing.java_set_order(sorted(record._attributes))
            ]
        try:
            return _hashing.digest(
                _hashing.funnel(fields, separator=separator, attributes=attributes), hash_type
            )
        except ValueError as error:
            raise self.ctx.fail(str(error), config=config) from None

    def _store(
        self,
        record: Record,
        paths: list[str],
        hash_type: str,
        config: str,
        target: str,
        attribute: str,
        missing: list[str],
        *,
        entire: bool = False,
    ) -> None:
        if not paths:
            return
        value = self._hash(record, paths, hash_type, config, entire=entire)
        if target and not _set(record, target, Field("STRING", value)):
            missing.append(target)
        if attribute:
            record._attributes[attribute] = value


# -- Value Replacer ------------------------------------------------------------------------------


@register(
    "com_streamsets_pipeline_stage_processor_fieldvaluereplacer_FieldValueReplacerDProcessor",
    "Value Replacer",
)
class _ValueReplacer(_RecordByRecord):
    """Sets fields to null (on a condition), replaces nulls, replaces values that compare to a constant."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.nulling = [
            (
                [str(f) for f in row.get("fieldsToNull") or []],
                ctx.compile(row["condition"], "nullReplacerConditionalConfigs")
                if row.get("condition")
                else None,
            )
            for row in _rows(ctx, "nullReplacerConditionalConfigs")
        ]
        self.if_null = [
            (
                [str(f) for f in row.get("fields") or []],
                ctx.compile(row.get("newValue") or "", "fieldsToReplaceIfNull"),
            )
            for row in _rows(ctx, "fieldsToReplaceIfNull")
        ]
        self.conditional = [
            (
                [str(f) for f in row.get("fieldNames") or []],
                str(row.get("operator") or "LESS_THAN"),
                ctx.static(row.get("comparisonValue"), "fieldsToConditionallyReplace"),
                ctx.static(row.get("replacementValue"), "fieldsToConditionallyReplace"),
            )
            for row in _rows(ctx, "fieldsToConditionallyReplace")
        ]
        self.to_error = ctx.config("onStagePreConditionFailure", "TO_ERROR") == "TO_ERROR"

    def _paths(self, record: Record, patterns: list[str], missing: list[str]) -> list[str]:
        found: list[str] = []
        for pattern in patterns:
            for path in self.ctx.paths(record, pattern, config="fieldsToReplaceIfNull", keep_missing=True):
                (found if record.has(path) else missing).append(path)
        return found

    def _record(self, batch: Batch, record: Record) -> bool:
        missing: list[str] = []
        try:
            for patterns, condition in self.nulling:
                if condition is not None and not coerce_bool(self.ctx.evaluate(condition, record)):
                    continue
                for path in self._paths(record, patterns, missing):
                    field = record.field(path)
                    if field is not None:
                        field.value = None
            for patterns, expression in self.if_null:
                for path in self._paths(record, patterns, missing):
                    field = record.field(path)
                    if field is not None and field.value is None:
                        _set(record, path, self._typed(self.ctx.evaluate(expression, record), field))
            for patterns, operator, comparison, replacement in self.conditional:
                for path in self._paths(record, patterns, missing):
                    field = record.field(path)
                    if field is not None and self._compare(field, operator, comparison):
                        _set(record, path, self._typed(replacement, field))
        except (PreviewError, ValueError) as error:
            batch.error(record, "VALUE_REPLACER_00", error_text(error))
            return False
        if self.to_error and missing:
            batch.error(
                record,
                "VALUE_REPLACER_01",
                f"Record '{_id(record)}' does not contain fields '{', '.join(missing)}'",
            )
            return False
        return True

    def _typed(self, value: Any, like: Field) -> Field:
        text = Field("STRING", _java.to_string(value))
        try:
            return convert(text, Conversion(like.type)) if like.type != "STRING" else text
        except ValueError as error:
            raise ValueError(
                f"Failed to convert value '{text.value}' to type '{like.type}': {error}"
            ) from None

    def _compare(self, field: Field, operator: str, comparison: Any) -> bool:
        if operator == "ALL":
            return True
        if field.value is None:
            return False
        if field.type in ("STRING", "CHAR", "BOOLEAN"):
            return operator == "EQUALS" and _java.to_string(field.to_el()) == _java.to_string(comparison)
        value = coerce_double(
            field.value if not hasattr(field.value, "isoformat") else _java.to_millis(field.value)
        )
        other = coerce_double(comparison)
        return {"LESS_THAN": value < other, "EQUALS": value == other, "GREATER_THAN": value > other}.get(
            operator, False
        )


# -- Field Replacer ------------------------------------------------------------------------------


@register("com_streamsets_pipeline_stage_processor_fieldreplacer_FieldReplacerDProcessor", "Field Replacer")
class _FieldReplacer(_RecordByRecord):
    """Replaces the fields each rule matches with an expression's value (``f:value()`` etc.) or null."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.rules = [
            (
                str(row.get("fields") or ""),
                bool(row.get("setToNull")),
                ctx.compile(row.get("replacement") or "", "conf.rules"),
            )
            for row in _rows(ctx, "conf.rules")
            if row.get("fields")
        ]
        self.to_error = ctx.config("conf.onStagePreConditionFailure", "CONTINUE") == "TO_ERROR"

    def _record(self, batch: Batch, record: Record) -> bool:
        for pattern, to_null, replacement in self.rules:
            paths = self.ctx.paths(record, pattern, config="conf.rules")
            if not paths and self.to_error:
                batch.error(record, "FIELD_REPLACER_00", f"Rule {pattern} did not match any fields")
                return False
            if not paths and not to_null and not _paths.has_wildcards(pattern):
                # The catalog's stage version (before ADD_FIELD, engine 5.3) sets a field it does not
                # find when a rule names it without wildcards and the missing field is to CONTINUE.
                paths = [pattern]
            for path in paths:
                field = record.field(path)
                if to_null:
                    if field is not None:
                        _set(record, path, Field(field.type, None, field.attributes))
                    continue
                try:
                    value = self.ctx.evaluate(replacement, record, path, field)
                except PreviewError as error:
                    _expression_failed(batch, record, replacement, error)
                    return False
                _set(record, path, Field.from_el(value))
        return True


# -- JSON Parser ---------------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Field types whose value the engine cannot read as a String, with the error code it gives (a JSON
# object from the origin is a LIST_MAP, and gets the MAP code).
_NOT_STRINGS = {"BYTE_ARRAY": "API_03", "LIST": "API_13", "MAP": "API_16", "LIST_MAP": "API_16"}


@register("com_streamsets_pipeline_stage_processor_jsonparser_JsonParserDProcessor", "JSON Parser")
class _JsonParser(_RecordByRecord):
    """Parses a string field holding JSON into a target field (maps become LIST_MAP, ints INTEGER/LONG)."""

    def __init__(self, ctx: StageContext) -> None:
        super().__init__(ctx)
        self.source = str(ctx.config("fieldPathToParse", ""))
        self.target = str(ctx.config("parsedFieldPath", "") or self.source)
        self.strip = bool(ctx.config("removeCtrlChars", False))

    def _record(self, batch: Batch, record: Record) -> bool:
        field = record.field(self.source)
        if field is None:
            batch.error(
                record,
                "JSONP_00",
                f"JSON field '{self.source}' does not exist in record '{_id(record)}'. "
                "Cannot parse the field.",
            )
            return False
        if field.value is None:
            batch.error(
                record,
                "JSONP_01",
                f"JSON field '{self.source}' in record '{_id(record)}' is set to NULL. "
                "Cannot parse the field.",
            )
            return False
        if field.type in _NOT_STRINGS:
            # The engine's Field.getValueAsString refuses these; its error code is the record's.
            code = _NOT_STRINGS[field.type]
            batch.error(record, code, f"Cannot convert {field.type} field '{self.source}' to String")
            return False
        text = _java.to_string(field.to_el())
        if self.strip:
            text = _CONTROL.sub("", text)
        if not text.strip():
            # The engine's parser reads no JSON value from blank text and leaves the record as it is.
            return True
        try:
            parsed = json.loads(text, object_pairs_hook=dict)
        except ValueError as error:
            batch.error(
                record,
                "JSONP_03",
                f"Cannot parse the JSON field '{self.source}' for record '{_id(record)}': {error}",
            )
            return False
        if not _set(record, self.target, Field.from_python(parsed)):
            batch.error(
                record,
                "JSONP_02",
                f"Cannot pass the parsed JSON to field '{self.target}' for record '{_id(record)}'. "
                "Field does not exist.",
            )
            return False
        return True
