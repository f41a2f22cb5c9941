"""What a GraphQL document costs once every fragment spread is expanded, computed in one walk
whose work is linear in the document's size.

A fragment may spread another fragment many times: eight levels of eight spreads each are 564
bytes of text but 16 million selections once expanded, and any check that follows every spread
(Strawberry's QueryDepthLimiter and MaxAliasesLimiter did) froze the API for seconds. Here each
fragment's figures are computed once and reused at every spread of it, so the walk visits every
node of the text once, whatever the expansion; the expanded figures then decide whether the
document may go on to validation and execution at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
)


@dataclass(frozen=True)
class Cost:
    """Figures of a selection set once expanded.

    `selections`: fields, spreads and inline fragments, each spread counted with all it expands
    to. `depth`: the deepest field's nesting, as Strawberry's QueryDepthLimiter counts it (a root
    field without sub-selection is 0; introspection fields are not counted, so GraphiQL's schema
    query passes). `aliases`: aliased fields, as MaxAliasesLimiter counts them.
    """

    selections: int = 0
    depth: int = 0
    aliases: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.selections + other.selections,
            max(self.depth, other.depth),
            self.aliases + other.aliases,
        )


NOTHING = Cost()


class _Walk:
    """One memoised walk over a document's fragment graph."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.known: dict[str, Cost] = {}
        self.entered: set[str] = set()

    def fragment(self, name: str) -> Cost:
        known = self.known.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        # An unknown fragment, or one spread inside itself: validation reports both
        # (KnownFragmentNames, NoFragmentCycles); counted as nothing so the walk ends.
        if definition is None or name in self.entered:
            return NOTHING
        self.entered.add(name)
        cost = self.selection_set(definition.selection_set)
        self.known[name] = cost
        return cost

    def selection_set(self, selection_set: SelectionSetNode | None) -> Cost:
        total = NOTHING
        for selection in selection_set.selections if selection_set else ():
            total += self.selection(selection)
        return total

    def selection(self, selection: SelectionNode) -> Cost:
        if isinstance(selection, FieldNode):
            below = self.selection_set(selection.selection_set)
            counted = selection.selection_set and not selection.name.value.startswith("__")
            return Cost(
                1 + below.selections,
                1 + below.depth if counted else 0,
                below.aliases + (1 if selection.alias else 0),
            )
        if isinstance(selection, FragmentSpreadNode):
            expanded = self.fragment(selection.name.value)
            return Cost(1 + expanded.selections, expanded.depth, expanded.aliases)
        if isinstance(selection, InlineFragmentNode):
            inner = self.selection_set(selection.selection_set)
            return Cost(1 + inner.selections, inner.depth, inner.aliases)
        return NOTHING


def document_cost(document: DocumentNode) -> Cost:
    """The expanded cost of all of `document`'s operations together (depth: the deepest)."""
    walk = _Walk(document)
    operations: Iterable[OperationDefinitionNode] = (
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    )
    total = NOTHING
    for operation in operations:
        total += walk.selection_set(operation.selection_set)
    return total
