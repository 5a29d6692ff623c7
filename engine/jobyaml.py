"""Reading a job file's YAML safely: duplicate keys and alias bombs are refused.

`yaml.safe_load` accepts a mapping that gives a key twice (the last silently wins) and
aliases that expand exponentially: a few hundred bytes of nested aliases become billions
of nodes once anything walks the document (validation, the manifest, every request).
Here a job file is composed once into its node graph, checked, then constructed:

* a key given twice in one mapping is an error naming both lines (`<<` merge keys, which
  are meant to be overridden, are not keys);
* aliases may add at most `MAX_ALIAS_NODES` nodes to the document, counted without
  expanding anything; an alias that refers to itself is refused too.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_ALIAS_NODES = 10_000  # nodes aliases may add: far more than any real job's defaults
MERGE_TAG = "tag:yaml.org,2002:merge"


class JobYamlError(Exception):
    """A YAML problem at a line (1-based; None: the document as a whole)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases: list[tuple[int, Node]] = []  # (line of the alias, the node it names)

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
            node = super().compose_node(parent, index)
            if node is not None:
                self.aliases.append((event.start_mark.line + 1, node))
            return node
        return super().compose_node(parent, index)

    def compose_mapping_node(self, anchor: Any) -> MappingNode:  # anchor: its name, or None
        node = super().compose_mapping_node(anchor)
        seen: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == MERGE_TAG:
                continue
            line = key.start_mark.line + 1
            first = seen.get((key.tag, key.value))
            if first is not None:
                raise JobYamlError(
                    line, f"duplicate key {key.value!r} (first given on line {first})"
                )
            seen[(key.tag, key.value)] = line
        return node


def _sizes(root: Node) -> dict[int, int]:
    """Each node's size once every alias below it is expanded, computed without expanding
    (each distinct node once); an alias inside what it names is refused."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes and not children_done:
            continue
        kids = _children(node)
        if children_done:
            on_path.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(k)] for k in kids)
            continue
        if id(node) in on_path:
            raise JobYamlError(node.start_mark.line + 1, "an alias refers to itself")
        on_path.add(id(node))
        stack.append((node, True))
        for kid in kids:
            if id(kid) in on_path:
                raise JobYamlError(kid.start_mark.line + 1, "an alias refers to itself")
            if id(kid) not in sizes:
                stack.append((kid, False))
    return sizes


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load(text: str) -> tuple[Node | None, Any]:
    """The job file's node graph (for line numbers) and its data; raises `JobYamlError`
    for the problems above, and yaml.YAMLError for YAML that does not parse."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise JobYamlError(None, "nested too deeply") from None
        if node is None:
            return None, None
        if loader.aliases:
            sizes = _sizes(node)
            added = sum(sizes[id(target)] for _, target in loader.aliases)
            if added > MAX_ALIAS_NODES:
                line, target = max(loader.aliases, key=lambda a: sizes[id(a[1])])
                raise JobYamlError(
                    line,
                    f"aliases expand to {added} more nodes; at most {MAX_ALIAS_NODES} are "
                    f"allowed (this alias alone adds {sizes[id(target)]})",
                )
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def load_value(text: str) -> Any:
    """One value (a `--set` override), read with the same rules."""
    return load(text)[1]
