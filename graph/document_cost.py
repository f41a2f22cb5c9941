"""What a GraphQL document costs once every fragment spread is expanded, computed in one walk
whose work is linear in the document's size.

A fragment may spread another fragment many times: eight levels of eight spreads each are 564
bytes of text but 16 million selections once expanded, and any check that follows every spread
(Strawberry's QueryDepthLimiter and MaxAliasesLimiter did) froze the API for seconds. Here each
fragment's figures are computed once and reused at every spread of it, so the walk visits every
node of the text once, whatever the expansion; the expanded figures then decide whether the
document may go on to validation and execution at all.

Validation has one more cost that grows faster than the text: graphql-core's
OverlappingFieldsCanBeMergedRule compares every two fields that answer under one name in a
selection set (`{ me { id } me { id } ... }`), 450 of them, 8 KB of text, took half a second.
The walk counts those pairs too (`merges`), with fragments expanded, so the limits refuse such a
document before the rule runs.
"""

from __future__ import annotations

from collections import Counter
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
    query passes). `aliases`: aliased fields, as MaxAliasesLimiter counts them. `merges`: pairs
    of fields that answer under the same name in one selection set (inline fragments and spreads
    flattened into it), the pairs the overlapping-fields rule compares.
    """

    selections: int = 0
    depth: int = 0
    aliases: int = 0
    merges: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.selections + other.selections,
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.merges + other.merges,
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
        self.known_names: dict[str, Counter[str]] = {}
        self.entered: set[str] = set()
        self.naming: set[str] = set()

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
        pairs = sum(n * (n - 1) // 2 for n in self.response_names(selection_set).values())
        return total + Cost(merges=pairs)

    def response_names(self, selection_set: SelectionSetNode | None) -> Counter[str]:
        """How many fields answer under each name at this level, fragments flattened. A
        fragment's counts are computed once; a name table is small (the type's fields and at
        most MAX_ALIASES aliases), so adding one in at every spread stays cheap."""
        names: Counter[str] = Counter()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                names[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                names.update(self.response_names(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                names.update(self.fragment_names(selection.name.value))
        return names

    def fragment_names(self, name: str) -> Counter[str]:
        known = self.known_names.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.naming:  # unknown or cyclic, as in `fragment`
            return Counter()
        self.naming.add(name)
        names = self.response_names(definition.selection_set)
        self.known_names[name] = names
        return names

    def selection(self, selection: SelectionNode) -> Cost:
        if isinstance(selection, FieldNode):
            below = self.selection_set(selection.selection_set)
            counted = selection.selection_set and not selection.name.value.startswith("__")
            return Cost(
                1 + below.selections,
                1 + below.depth if counted else 0,
                below.aliases + (1 if selection.alias else 0),
                below.merges,
            )
        if isinstance(selection, FragmentSpreadNode):
            expanded = self.fragment(selection.name.value)
            return Cost(selections=1) + expanded
        if isinstance(selection, InlineFragmentNode):
            inner = self.selection_set(selection.selection_set)
            return Cost(selections=1) + inner
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
