"""Fail when any import circle exists between the modules of `intake`.

import-linter's `acyclic_siblings` contract (.importlinter) finds circles between sibling
modules and packages at every depth; this check also finds the ones it cannot see, between a
package's `__init__` and a module inside it (a blueprint defined in `__init__` and imported back
by its views, say). Imports inside functions count: hiding one there does not break a circle.

Usage: python scripts/check_import_cycles.py  (prints each circle; exit status 1 if any)
"""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

PACKAGE = "intake"


def circles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    edges = {
        m: sorted(d for d in graph.find_modules_directly_imported_by(m) if d in modules)
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(edges[node]):
                work.append((node, child + 1))
                target = edges[node][child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    graph = grimp.build_graph(PACKAGE)
    found = circles(graph, PACKAGE)
    for component in found:
        print("import circle: " + " <-> ".join(component))
    members = sum(len(c) for c in found)
    print(f"{len(found)} import circle(s) in {PACKAGE}, {members} module(s) in them")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
