"""Spec rules in Sphinx: the ``rule`` directive, the ``:rule:`` role, and automatic links from rule IDs.

``spec/*.rst`` states every behaviour of tinyio as a rule with a stable ID ``area/name``::

    .. rule:: gather/order

       A gather MUST resume its waiter with a list ...

This extension renders each rule as a box whose heading is its ID, with the HTML anchor ``rule-<area>-<name>``
(``gather/order`` -> ``#rule-gather-order``) and an index entry, and lets any page link to it with
``:rule:`gather/order``` (or ``:rule:`the order of results <gather/order>```). A link to an ID that no rule defines is
a warning, so a build with ``-W`` fails on it. The anchors are part of the public surface (the README and other
projects link to them): never change how they are derived.

Docstrings cite rules as ````time/sleep```` (plain inline literals, so that they read well in ``help()``); every inline
literal whose whole text is a known rule ID becomes a link to that rule too, wherever it appears.

Rules are kept in a small domain (``rule``), which is what makes them appear in ``objects.inv`` as ``rule:rule``
entries and keeps incremental and parallel builds correct.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.nodes import make_refnode, split_explicit_title

logger = logging.getLogger(__name__)

RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*")


def anchor_of(rule_id: str) -> str:
    """The HTML id of a rule: ``gather/order`` -> ``rule-gather-order``. Stable: other sites link to it."""
    return "rule-" + rule_id.replace("/", "-")


class RuleDirective(SphinxDirective):
    """``.. rule:: area/name`` followed by the rule's indented statement and examples."""

    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = False
    has_content = True
    option_spec = {"class": directives.class_option}

    def run(self) -> list[nodes.Node]:
        rule_id = self.arguments[0].strip()
        if not RULE_ID.fullmatch(rule_id):
            logger.warning(
                "rule ID %r is not of the form area/name (lowercase letters, digits and '-')",
                rule_id,
                location=self.get_location(),
            )
        anchor = anchor_of(rule_id)
        box = nodes.container(classes=["tinyio-rule", *self.options.get("class", [])])
        box["ids"].append(anchor)
        box["rule_id"] = rule_id
        self.set_source_info(box)

        heading = nodes.paragraph(classes=["tinyio-rule-id"])
        heading += nodes.literal(rule_id, rule_id)
        heading += nodes.reference("", "¶", refid=anchor, classes=["headerlink"], reftitle="Link to this rule")
        box += heading

        index = addnodes.index(entries=[("single", f"{rule_id} (rule)", anchor, "", None)])
        body = nodes.container(classes=["tinyio-rule-body"])
        self.state.nested_parse(self.content, self.content_offset, body)
        box += body

        domain: RuleDomain = self.env.domains["rule"]  # type: ignore[assignment]
        domain.note_rule(rule_id, anchor, self.get_location())
        if any(_is_deviation(paragraph) for paragraph in body.findall(nodes.paragraph)):
            domain.deviations[rule_id] = (self.env.docname, anchor)
        return [index, box]


DEVIATION = "Deviation from tinyio 0.4.0"


def _is_deviation(paragraph: nodes.paragraph) -> bool:
    return paragraph.astext().startswith(DEVIATION)


def _in_rule(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.container) and "tinyio-rule" in parent["classes"]:
            return True
        parent = parent.parent
    return False


def _page_deviations(doctree: nodes.Node) -> list[nodes.paragraph]:
    """Deviation paragraphs that are not part of a rule (a page's introduction may state one for the whole page)."""
    return [p for p in doctree.findall(nodes.paragraph) if _is_deviation(p) and not _in_rule(p)]


def note_page_deviations(app: Sphinx, doctree: nodes.document) -> None:
    domain: RuleDomain = app.env.domains["rule"]  # type: ignore[assignment]
    if _page_deviations(doctree):
        domain.page_deviations[app.env.docname] = (app.env.docname, "")


class deviation_table(nodes.General, nodes.Element):  # noqa: N801 (docutils node classes are lowercase)
    """Placeholder for the table of every rule that deviates from tinyio 0.4.0; filled once all pages are read."""


class DeviationTable(SphinxDirective):
    """``.. deviations-from-0.4.0::``: a table of every rule whose text says "Deviation from tinyio 0.4.0"."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return [deviation_table()]


class FillDeviationTables(SphinxPostTransform):
    """Replace each placeholder by a table: the rule (a link) and its "Deviation from tinyio 0.4.0" paragraph.

    Runs before references are resolved, so the copied paragraphs' own references (``:class:``, ``:rule:``) resolve
    as if they had been written on this page.
    """

    default_priority = 4

    def run(self, **kwargs: Any) -> None:
        placeholders = list(self.document.findall(deviation_table))
        if not placeholders:
            return
        domain: RuleDomain = self.env.domains["rule"]  # type: ignore[assignment]
        rows: list[nodes.row] = []
        entries = [(docname, None) for docname in sorted(domain.page_deviations)]
        entries += [(docname, rule_id) for rule_id, (docname, _) in sorted(domain.deviations.items())]
        for docname, rule_id in entries:
            source = self.env.get_doctree(docname)
            paragraphs: list[nodes.Node] = []
            if rule_id is None:
                paragraphs = [p.deepcopy() for p in _page_deviations(source)]
            for box in source.findall(nodes.container) if rule_id is not None else ():
                if anchor_of(rule_id) in box["ids"]:
                    paragraphs = [p.deepcopy() for p in box.findall(nodes.paragraph) if _is_deviation(p)]
                    break
            for paragraph in paragraphs:  # drop the "Deviation from tinyio 0.4.0:" prefix, which the table says
                first = paragraph[0] if len(paragraph) else None
                if isinstance(first, nodes.Text):
                    rest = str(first)[len(DEVIATION) :].lstrip(":").lstrip()
                    paragraph.replace(first, nodes.Text(rest[:1].upper() + rest[1:]))
            if rule_id is None:  # the whole page: link to it by its title
                link = addnodes.pending_xref(
                    "", refdomain="std", reftype="doc", reftarget="/" + docname, refexplicit=False, refwarn=True,
                    refdoc=self.env.docname,
                )  # fmt: skip
                link += nodes.inline("", "", classes=["xref", "std", "std-doc"])
            else:
                link = addnodes.pending_xref(
                    "", refdomain="rule", reftype="rule", reftarget=rule_id, refexplicit=False, refwarn=True,
                    refdoc=self.env.docname,
                )  # fmt: skip
                link += nodes.literal(rule_id, rule_id, classes=["xref", "rule"])
            row = nodes.row()
            row += nodes.entry("", nodes.paragraph("", "", link))
            row += nodes.entry("", *paragraphs)
            rows.append(row)
        for placeholder in placeholders:
            table = nodes.table(classes=["tinyio-deviations"])
            group = nodes.tgroup(cols=2)
            table += group
            group += nodes.colspec(colwidth=1)
            group += nodes.colspec(colwidth=4)
            head = nodes.thead()
            header = nodes.row()
            header += nodes.entry("", nodes.paragraph("", "Rule (or page)"))
            header += nodes.entry("", nodes.paragraph("", "What tinyio 0.4.0 did, and why tinyio now does otherwise"))
            head += header
            group += head
            body = nodes.tbody()
            body.extend(row.deepcopy() for row in rows)
            group += body
            placeholder.replace_self(table if rows else nodes.paragraph("", "No rule deviates from tinyio 0.4.0."))


class RuleRole(SphinxRole):
    """``:rule:`area/name``` or ``:rule:`text <area/name>```: a link to a rule; unknown IDs warn."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        explicit, title, target = split_explicit_title(self.text)
        target = target.strip()
        ref = addnodes.pending_xref(
            self.rawtext,
            refdomain="rule",
            reftype="rule",
            reftarget=target,
            refexplicit=explicit,
            refwarn=True,  # an unknown rule ID is a warning (and an error under -W)
            refdoc=self.env.docname,
        )
        # The ID reads as code; an explicit title ("the order of results <gather/order>") reads as text.
        kind = nodes.inline if explicit else nodes.literal
        inner = kind(self.rawtext, title, classes=["xref", "rule"])
        ref += inner
        self.set_source_info(ref)
        return [ref], []


class RuleDomain(Domain):
    """Where rules are recorded: ``data["rules"]`` maps an ID to ``(docname, anchor)``."""

    name = "rule"
    label = "Spec rule"
    object_types = {"rule": ObjType("rule", "rule")}
    initial_data: dict[str, Any] = {"rules": {}, "deviations": {}, "page_deviations": {}}
    dangling_warnings = {"rule": "unknown spec rule %(target)r (no '.. rule:: %(target)s' in spec/)"}
    data_version = 2

    @property
    def rules(self) -> dict[str, tuple[str, str]]:
        return self.data.setdefault("rules", {})  # type: ignore[no-any-return]

    @property
    def page_deviations(self) -> dict[str, tuple[str, str]]:
        return self.data.setdefault("page_deviations", {})  # type: ignore[no-any-return]

    @property
    def deviations(self) -> dict[str, tuple[str, str]]:
        return self.data.setdefault("deviations", {})  # type: ignore[no-any-return]

    def note_rule(self, rule_id: str, anchor: str, location: Any) -> None:
        if rule_id in self.rules:
            other = self.rules[rule_id][0]
            logger.warning("rule %s is defined twice (also in %s)", rule_id, other, location=location)
        self.rules[rule_id] = (self.env.docname, anchor)

    def clear_doc(self, docname: str) -> None:
        for table in (self.rules, self.deviations, self.page_deviations):
            for rule_id, (doc, _) in list(table.items()):
                if doc == docname:
                    del table[rule_id]

    def merge_domaindata(self, docnames: Iterable[str], otherdata: dict[str, Any]) -> None:
        wanted = set(docnames)
        tables = (("rules", self.rules), ("deviations", self.deviations), ("page_deviations", self.page_deviations))
        for key, table in tables:
            for rule_id, (doc, anchor) in otherdata.get(key, {}).items():
                if doc in wanted:
                    table[rule_id] = (doc, anchor)

    def resolve_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        typ: str,
        target: str,
        node: addnodes.pending_xref,
        contnode: nodes.Element,
    ) -> nodes.reference | None:
        found = self.rules.get(target)
        if found is None:
            return None
        docname, anchor = found
        return make_refnode(builder, fromdocname, docname, anchor, contnode, f"spec rule {target}")

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: addnodes.pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        ref = self.resolve_xref(env, fromdocname, builder, "rule", target, node, contnode)
        return [] if ref is None else [("rule:rule", ref)]

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        for rule_id, (docname, anchor) in sorted(self.rules.items()):
            yield rule_id, rule_id, "rule", docname, anchor, 1


class LinkRuleLiterals(SphinxPostTransform):
    """Turn every inline literal that is exactly a known rule ID (as docstrings write them) into a link to it."""

    default_priority = 5  # after the deviation tables are filled (4), so their literals link too

    def run(self, **kwargs: Any) -> None:
        domain: RuleDomain = self.env.domains["rule"]  # type: ignore[assignment]
        rules = domain.rules
        for literal in list(self.document.findall(nodes.literal)):
            text = literal.astext()
            if text not in rules or isinstance(literal.parent, (nodes.reference, addnodes.pending_xref)):
                continue
            if "xref" in literal["classes"] or isinstance(literal.parent, nodes.paragraph) and (
                "tinyio-rule-id" in literal.parent["classes"]
            ):
                continue
            docname, anchor = rules[text]
            ref = make_refnode(self.app.builder, self.env.docname, docname, anchor, literal.deepcopy(), f"spec rule {text}")
            literal.replace_self(ref)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_domain(RuleDomain)
    app.add_directive("rule", RuleDirective)
    app.add_role("rule", RuleRole())
    app.add_post_transform(LinkRuleLiterals)
    app.add_node(deviation_table)
    app.add_directive("deviations-from-0.4.0", DeviationTable)
    app.add_post_transform(FillDeviationTables)
    app.connect("doctree-read", note_page_deviations)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
