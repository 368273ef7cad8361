"""Def-use analysis of Inductor's generated C++ kernels.

Reads text only (no torch import), so it can run on kernels pasted from any bug report. Each
kernel function is parsed with tree-sitter-cpp into scopes and statements; the `tmpN` variables
become a def-use relation (a networkx graph on demand), and every use that no declaration reaches
is a finding. A second pass finds bounds checks that run after the load they were meant to guard.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from typing import Any

import networkx as nx
import tree_sitter
import tree_sitter_cpp

from analyzer.identity import BOUNDS_MESSAGE, KINDS, LOST  # noqa: F401  (re-exported: the kinds and the message have one home)

TRACKED = re.compile(r"^tmp(\d+|_\w+)\w*$")
INDEX_VAR = re.compile(r"^x\d+\w*$")
_RECORDED = re.compile(f"{TRACKED.pattern}|{INDEX_VAR.pattern}")  # TRACKED or INDEX_VAR, in one match
POINTER = re.compile(r"^in_(out_)?ptr\d+$")


class KernelParseError(ValueError):
    """The text is not C++ this analysis can read; the message says why, on one line."""


DeclKey = tuple  # (name, byte) of a declaration: unique within a function


@dataclasses.dataclass
class Scope:
    id: int
    kind: str  # function | loop | vector-body | tail-loop | tail-body | branch | lambda | block
    label: str
    parent: int | None
    line: int


@dataclasses.dataclass
class Decl:
    name: str
    scope: int
    byte: int
    line: int
    col: int


@dataclasses.dataclass
class Use:
    name: str
    scope: int
    byte: int
    line: int
    col: int
    statement: str  # the source line the use sits on, stripped
    in_check: bool
    defines: DeclKey | None  # the declaration whose initializer holds this use


@dataclasses.dataclass
class Load:
    pointer: str
    index_vars: list[str]
    scope: int
    byte: int
    line: int
    defines: DeclKey | None  # the declaration this load initializes


@dataclasses.dataclass
class Check:
    variable: str
    bound: str
    scope: int
    byte: int
    line: int
    col: int
    text: str


@dataclasses.dataclass
class Finding:
    """One defect, located like a compiler diagnostic (1-based line and column)."""

    file: str
    line: int
    col: int
    identifier: str
    kind: str
    message: str
    kernel: str
    scope: str
    statement: str
    related_line: int | None = None
    source: dict[str, Any] | None = None
    trace: list[dict[str, Any]] | None = None
    unresolved: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class FunctionModel:
    """Everything the passes need about one kernel function: plain data, and the def-use graph.

    The passes read the def-use relation from `reaching` and `feeding`; the networkx `graph` holds
    the same edges and is built only when something asks for it (drawing a finding), since a
    scan over many kernels would spend much of its time building graphs no one reads."""

    name: str
    scopes: list[Scope]
    decls: list[Decl]
    uses: list[Use]
    loads: list[Load]
    checks: list[Check]
    reaching: dict[tuple[str, int], DeclKey]  # a use (name, byte) -> the declaration that reaches it
    feeding: dict[DeclKey, list[tuple[str, int]]]  # a declaration -> the uses in its initializer, in order

    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """Nodes are declarations and uses; an edge def -> use when the declaration reaches it,
        and use -> def when the use feeds the initializer of that declaration."""
        graph = nx.DiGraph()
        graph.add_nodes_from(
            (("def", d.name, d.byte), {"kind": "def", "name": d.name, "line": d.line, "scope": d.scope}) for d in self.decls
        )
        graph.add_nodes_from(
            (("use", u.name, u.byte), {"kind": "use", "name": u.name, "line": u.line, "scope": u.scope}) for u in self.uses
        )
        edges = []
        for u in self.uses:
            use_id = ("use", u.name, u.byte)
            reached_by = self.reaching.get((u.name, u.byte))
            if reached_by is not None:
                edges.append((("def", *reached_by), use_id))
            if u.defines is not None:
                edges.append((use_id, ("def", *u.defines)))
        graph.add_edges_from(edges)
        return graph

    def chain(self, scope: int) -> list[int]:
        return scope_chain(self.scopes, scope)


def scope_chain(scopes: list[Scope], scope: int) -> list[int]:
    """The scope and every scope enclosing it, innermost first: where a use may look for its declaration."""
    out = []
    cur: int | None = scope
    while cur is not None:
        out.append(cur)
        cur = scopes[cur].parent
    return out


@functools.lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _declarator_name(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """The identifier a declarator introduces, through pointer/array/reference/init wrappers."""
    while node is not None:
        if node.type == "identifier":
            return node
        inner = node.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in node.named_children if c.type.endswith("declarator") or c.type == "identifier"), None)
        node = inner
    return None


def _identifiers(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier":
            out.append(n)
        stack.extend(reversed(n.named_children))  # identifiers are named nodes
    return out


def _first_error(node: tree_sitter.Node) -> tree_sitter.Node | None:
    if node.type == "ERROR" or node.is_missing:
        return node
    if not node.has_error:
        return None
    for child in node.children:
        found = _first_error(child)
        if found is not None:
            return found
    return node


# Node types that hold no identifier, so visiting them records nothing; the walk skips them,
# and it walks only named children, since tree-sitter's anonymous nodes are punctuation and
# keywords. Most of a kernel's nodes are one or the other, and the walk is most of the time a
# scan takes after the parse itself.
_LEAVES = frozenset(
    {
        "number_literal", "string_literal", "char_literal", "raw_string_literal",
        "primitive_type", "type_identifier", "namespace_identifier", "field_identifier", "statement_identifier",
        "comment", "true", "false", "null", "nullptr", "this", "auto", "string_content", "escape_sequence",
    }
)


# What a subtree must contain to hold anything the walk records: a tracked or index variable, a
# pointer a load reads, a scope (a block or a loop), or a bounds check. A subtree without any of
# these (a type, a cast's template arguments, a library call's name) is skipped unvisited.
_RELEVANT = re.compile(rb"tmp|x[0-9]|ptr|[{]|for|TORCH_CHECK")
_FIRST_BYTES = frozenset(b"tx")  # how a tracked (tmp...) or index (x<digit>...) name starts
_POINTER_START = ord("i")  # how a pointer argument (in_ptr<n>, in_out_ptr<n>) starts


class _Builder:
    """Walks one function definition and records scopes, declarations, uses, loads and checks."""

    def __init__(self, source: bytes, line_offset: int) -> None:
        self.source = source
        self.lines = source.decode("utf-8", "replace").splitlines()
        self.stripped: dict[int, str] = {}  # a line's stripped text, once per line however many uses it holds
        self.line_offset = line_offset
        self.scopes: list[Scope] = []
        self.decls: list[Decl] = []
        self.uses: list[Use] = []
        self.loads: list[Load] = []
        self.checks: list[Check] = []
        self.in_check = False
        self.pending: list[tuple[Load, int, int]] = []  # loads whose index variables are named after the walk

    def line_of(self, node: tree_sitter.Node) -> int:
        return node.start_point.row + 1 + self.line_offset

    def line_text(self, node: tree_sitter.Node) -> str:
        row = node.start_point.row
        return self.lines[row].strip() if row < len(self.lines) else ""

    def new_scope(self, kind: str, label: str, parent: int | None, node: tree_sitter.Node) -> int:
        self.scopes.append(Scope(len(self.scopes), kind, label, parent, self.line_of(node)))
        return len(self.scopes) - 1

    def build(self, func: tree_sitter.Node) -> FunctionModel:
        name_node = _declarator_name(func.child_by_field_name("declarator"))
        name = _text(name_node) if name_node is not None else "?"
        root = self.new_scope("function", f"function {name}", None, func)
        body = func.child_by_field_name("body")
        if body is not None:
            for child in body.children:
                self.visit(child, root)
        self._name_load_indices()
        return FunctionModel(name, self.scopes, self.decls, self.uses, self.loads, self.checks, *self._def_use())

    def _scope_kind(self, node: tree_sitter.Node) -> tuple[str, str]:
        parent = node.parent
        if parent is None:
            return "block", "block"
        if parent.type == "lambda_expression":
            return "lambda", "lambda"
        if parent.type == "if_statement":
            cond = _text(parent.child_by_field_name("condition") or parent)
            if "C10_LIKELY" in cond:
                return "vector-body", "vectorized body"
            if "C10_UNLIKELY" in cond:
                return "tail-body", "tail"
            return "branch", "branch"
        return "block", "block"

    def visit(self, node: tree_sitter.Node, scope: int, defines: DeclKey | None = None) -> None:
        kind = node.type
        if kind == "compound_statement":
            scope_kind, label = self._scope_kind(node)
            inner = self.new_scope(scope_kind, label, scope, node)
            for child in node.named_children:
                if child.type not in _LEAVES:
                    self.visit(child, inner)
            return
        if kind == "for_statement":
            var = ""
            init = node.child_by_field_name("initializer")
            if init is not None and init.type == "declaration":
                decl_id = _declarator_name(init.child_by_field_name("declarator"))
                var = _text(decl_id) if decl_id is not None else ""
            loop_kind = "tail-loop" if var.endswith("_tail") else "loop"
            inner = self.new_scope(loop_kind, f"{'tail loop' if loop_kind == 'tail-loop' else 'loop'} {var}".strip(), scope, node)
            for child in node.named_children:
                if child.type == "compound_statement":  # the loop body shares the loop's scope
                    for grandchild in child.named_children:
                        if grandchild.type not in _LEAVES:
                            self.visit(grandchild, inner)
                elif child.type not in _LEAVES:
                    self.visit(child, inner)
            return
        if kind == "declaration":
            self._declaration(node, scope)
            return
        if kind == "expression_statement" and self._check(node, scope):
            self.in_check = True
            try:
                for child in node.named_children:
                    self.visit(child, scope, defines)
            finally:
                self.in_check = False
            return
        if kind == "identifier":
            self._use(node, scope, defines)
            return
        if kind == "subscript_expression":
            self._subscript_load(node, scope, defines)
        relevant = _RELEVANT.search
        data = self.source
        for child in node.named_children:
            ctype = child.type
            if ctype == "identifier":
                if data[child.start_byte] in _FIRST_BYTES:
                    self._use(child, scope, defines)
            elif ctype not in _LEAVES and relevant(data, child.start_byte, child.end_byte):
                if ctype == "binary_expression" and kind == "argument_list":
                    self._pointer_load(child, scope, defines)  # `ptr + offset` passed to a load
                self.visit(child, scope, defines)

    def _declaration(self, node: tree_sitter.Node, scope: int) -> None:
        for child in node.children_by_field_name("declarator"):
            ident = _declarator_name(child)
            name = _text(ident) if ident is not None else None
            key = None
            if ident is not None and name and _RECORDED.match(name):
                self.decls.append(
                    Decl(name, scope, ident.end_byte, self.line_of(ident), ident.start_point.column + 1)
                )
                key = (name, ident.end_byte)
            value = child.child_by_field_name("value")
            if value is None and child.type == "init_declarator":
                value = child.named_children[-1] if len(child.named_children) > 1 else None
            if value is not None:
                self.visit(value, scope, defines=key)
            for part in child.named_children:  # array sizes and the like can hold uses too
                if part != ident and part != value and part.type != "identifier":
                    self.visit(part, scope, defines=key)

    def _check(self, node: tree_sitter.Node, scope: int) -> bool:
        call = node.named_children[0] if node.named_children else None
        if call is None or call.type != "call_expression":
            return False
        func = call.child_by_field_name("function")
        if func is None or _text(func) != "TORCH_CHECK":
            return False
        args = call.child_by_field_name("arguments")
        if args is None or BOUNDS_MESSAGE not in _text(args):
            return False
        named = args.named_children
        if not named:
            return False
        tracked = [i for i in _identifiers(named[0]) if TRACKED.match(_text(i))]
        if not tracked:
            return False
        message = _text(named[-1]).strip('"')
        bound = message.split("<")[-1].strip() if "<" in message else ""
        first = tracked[0]
        self.checks.append(
            Check(_text(first), bound, scope, first.start_byte, self.line_of(first), first.start_point.column + 1, self.line_text(node))
        )
        return True

    def _add_load(self, pointer: str, index: tree_sitter.Node, scope: int, at: tree_sitter.Node, defines: DeclKey | None) -> None:
        # the index's variables are the uses the walk records inside it: named once the walk is done
        self.loads.append(Load(pointer, [], scope, at.start_byte, self.line_of(at), defines))
        self.pending.append((self.loads[-1], index.start_byte, index.end_byte))

    def _name_load_indices(self) -> None:
        uses = sorted((u.byte, u.name) for u in self.uses)
        for load, start, end in self.pending:
            first = bisect.bisect_left(uses, (start, ""))
            last = bisect.bisect_left(uses, (end, ""))
            load.index_vars = sorted({name for _, name in uses[first:last]})

    def _subscript_load(self, node: tree_sitter.Node, scope: int, defines: DeclKey | None) -> None:
        base = node.child_by_field_name("argument")
        if base is None or not POINTER.match(_text(base)):
            return
        parent = node.parent
        if parent is not None and parent.type == "assignment_expression" and parent.child_by_field_name("left") == node:
            return  # a store, not a load
        index = node.child_by_field_name("indices") or node.child_by_field_name("index") or node
        self._add_load(_text(base), index, scope, node, defines)

    def _pointer_load(self, node: tree_sitter.Node, scope: int, defines: DeclKey | None) -> None:
        left = node.child_by_field_name("left")
        if left is None or left.type != "identifier" or self.source[left.start_byte] != _POINTER_START:
            return  # most sums are index arithmetic: rejected before looking further
        if not POINTER.match(_text(left)):
            return
        right = node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        if right is None or op is None or _text(op) != "+":
            return
        if node.parent is not None and node.parent.type == "argument_list":
            self._add_load(_text(left), right, scope, node, defines)

    def _use(self, node: tree_sitter.Node, scope: int, defines: DeclKey | None) -> None:
        start = node.start_byte
        name = self.source[start : node.end_byte].decode("utf-8", "replace")
        if _RECORDED.match(name) is None:
            return
        row, column = node.start_point
        text = self.stripped.get(row)
        if text is None:
            text = self.stripped[row] = self.lines[row].strip() if row < len(self.lines) else ""
        self.uses.append(Use(name, scope, start, row + 1 + self.line_offset, column + 1, text, self.in_check, defines))

    def _def_use(self) -> tuple[dict[tuple[str, int], DeclKey], dict[DeclKey, list[tuple[str, int]]]]:
        """Which declaration reaches each use (the last one before it in the innermost enclosing
        scope that has one), and which uses feed each declaration's initializer."""
        bytes_in_scope: dict[tuple[str, int], list[int]] = {}
        for d in self.decls:
            bytes_in_scope.setdefault((d.name, d.scope), []).append(d.byte)
        for found in bytes_in_scope.values():
            found.sort()
        chains: dict[int, list[int]] = {}
        reaching: dict[tuple[str, int], DeclKey] = {}
        feeding: dict[DeclKey, list[tuple[str, int]]] = {}
        for u in self.uses:
            chain = chains.get(u.scope)
            if chain is None:
                chain = chains[u.scope] = scope_chain(self.scopes, u.scope)
            for scope in chain:
                found = bytes_in_scope.get((u.name, scope))
                if found:
                    at = bisect.bisect_right(found, u.byte)
                    if at:
                        reaching[(u.name, u.byte)] = (u.name, found[at - 1])
                        break
            if u.defines is not None:
                uses = feeding.setdefault(u.defines, [])
                if (u.name, u.byte) not in uses:
                    uses.append((u.name, u.byte))
        return reaching, feeding


# tree-sitter-cpp reads `decltype(a)(b)` (a functional cast Inductor emits) as an error; the
# same-length spelling `decltyp_(a)(b)` is a plain call with the same identifiers at the same bytes.
_FUNCTIONAL_DECLTYPE = re.compile(rb"decltype(?=\([^()]*\)\()")
# A `#pragma GCC unroll` inside a lambda that initializes a variable (Inductor's gather into a
# tmpbuf) is an error to tree-sitter-cpp, which only knows directives between statements. Pragmas
# carry no def-use information; blanking them keeps every other byte where it was.
_PRAGMA = re.compile(rb"#[ \t]*pragma\b[^\n]*")
# The alignment macro `__at_align__` before a declaration inside such a lambda trips it the same way.
_AT_ALIGN = re.compile(rb"\b__at_align__\b")
# Each pattern starts with a literal, which the regex engine finds fast; the conditions a leading
# `\b` or `^` would state (and make every byte a candidate) are checked on the few matches instead.
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _blank(match: re.Match[bytes]) -> bytes:
    return b" " * len(match.group(0))


def _functional_decltype(match: re.Match[bytes]) -> bytes:
    start = match.start()
    if start and match.string[start - 1] in _WORD:  # part of a longer name
        return match.group(0)
    return b"decltyp_"


def _directive(match: re.Match[bytes]) -> bytes:
    data, start = match.string, match.start()
    if data[data.rfind(b"\n", 0, start) + 1 : start].strip(b" \t"):  # code before the `#`: not a directive
        return match.group(0)
    return b" " * len(match.group(0))


def _readable(source: str) -> bytes:
    """The kernel's bytes with what tree-sitter-cpp cannot read respelled or blanked, every other
    byte where it was (so lines and columns are the file's)."""
    data = source.encode("utf-8")
    if b"decltype" in data:
        data = _FUNCTIONAL_DECLTYPE.sub(_functional_decltype, data)
    if b"pragma" in data:
        data = _PRAGMA.sub(_directive, data)
    if b"__at_align__" in data:
        data = _AT_ALIGN.sub(_blank, data)
    return data


def parse_functions(source: str, line_offset: int = 0) -> list[FunctionModel]:
    """Parse C++ text into one model per function definition; raise KernelParseError if it cannot."""
    data = _readable(source)
    tree = _parser().parse(data)
    funcs = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            funcs.append(node)
            continue
        stack.extend(reversed(node.children))
    error = _first_error(tree.root_node)
    if error is not None:
        raise KernelParseError(f"unparseable C++: syntax error at line {error.start_point.row + 1 + line_offset}")
    if not funcs:
        raise KernelParseError("no C++ function definition found")
    return [_Builder(data, line_offset).build(f) for f in funcs]


def _classify(model: FunctionModel, use: Use) -> tuple[str, Decl | None] | None:
    """None when a declaration reaches the use; otherwise the kind and the nearest declaration."""
    if (use.name, use.byte) in model.reaching:
        return None
    same_name = [d for d in model.decls if d.name == use.name]
    chain = set(model.chain(use.scope))
    later = [d for d in same_name if d.scope in chain and d.byte > use.byte]
    if later:
        return "forward-reference", min(later, key=lambda d: d.byte)
    if same_name:
        return "out-of-scope", min(same_name, key=lambda d: abs(d.byte - use.byte))
    return "undeclared", None


def _value_chain(model: FunctionModel, check: Check) -> tuple[set[str], set[DeclKey]]:
    """The names the checked variable is a plain copy of (convert, arange, cast), back to a loop index,
    following the def-use graph from the check's own use.

    The walk stops at a declaration initialized by a load: the load that produces an index is
    not the load the index guards.
    """
    loaded = {load.defines for load in model.loads if load.defines}
    names, visited = {check.variable}, set()
    frontier = [(check.variable, check.byte)]
    while frontier:
        key = model.reaching.get(frontier.pop())
        if key is None or key in visited:
            continue
        visited.add(key)
        if key in loaded:
            continue
        feeding = model.feeding.get(key, [])
        if len({name for name, _ in feeding}) == 1:
            names.update(name for name, _ in feeding)
            frontier.extend(feeding)
    return names, visited


def analyze_source(source: str, file: str, line_offset: int = 0) -> list[Finding]:
    """All findings of every kernel function in one C++ text, in source order."""
    findings: list[Finding] = []
    for model in parse_functions(source, line_offset):
        findings.extend(_lost_definitions(model, file))
        findings.extend(_checks_after_load(model, file))
    findings.sort(key=lambda f: (f.line, f.col, f.kind))
    return findings


def _lost_definitions(model: FunctionModel, file: str) -> list[Finding]:
    out = []
    for use in model.uses:
        if not TRACKED.match(use.name):
            continue
        verdict = _classify(model, use)
        if verdict is None:
            continue
        kind, decl = verdict
        scope = model.scopes[use.scope]
        where = "in a bounds check" if use.in_check else "in a statement"
        if kind == "forward-reference":
            msg = f"'{use.name}' is used {where} before its declaration at line {decl.line} ({scope.label})"
        elif kind == "out-of-scope":
            other = model.scopes[decl.scope]
            msg = f"'{use.name}' is used {where} but declared only at line {decl.line}, in {other.label}, which does not enclose this use ({scope.label})"
        else:
            msg = f"'{use.name}' is used {where} but declared nowhere in {model.name} ({scope.label})"
        out.append(
            Finding(file, use.line, use.col, use.name, kind, msg, model.name, scope.label, use.statement, decl.line if decl else None)
        )
    return out


def _checks_after_load(model: FunctionModel, file: str) -> list[Finding]:
    """Checks that come after a load reading the index they check, when no earlier check guards it.

    One index can be checked against several bounds (each gather reading it gets its own check):
    a load already preceded by a check on its index is that check's, not a later one's."""
    out = []
    chains = {id(c): _value_chain(model, c) for c in model.checks}

    def guarded_before(load: Load) -> bool:
        return any(
            c.scope == load.scope and c.byte < load.byte and set(load.index_vars) & chains[id(c)][0] for c in model.checks
        )

    for check in model.checks:
        names, chain_decls = chains[id(check)]
        guarded = [
            load
            for load in model.loads
            if load.scope == check.scope
            and load.byte < check.byte
            and set(load.index_vars) & names
            and load.defines not in chain_decls
            and not guarded_before(load)
        ]
        if not guarded:
            continue
        load = guarded[0]
        index = ", ".join(sorted(set(load.index_vars) & names))
        msg = (
            f"bounds check on '{check.variable}' (< {check.bound}) runs after the load from {load.pointer} "
            f"at line {load.line} whose index it checks ({index})"
        )
        scope = model.scopes[check.scope]
        out.append(Finding(file, check.line, check.col, check.variable, "check-after-load", msg, model.name, scope.label, check.text, load.line))
    return out
