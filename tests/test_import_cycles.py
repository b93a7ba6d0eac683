"""No import circle inside jcstar_agent: every module-level import (also those under a module-level
``if``/``try``) is an edge, and the graph has no cycle. Imports inside functions are lazy by
design (DESIGN: import lazily) and are not edges. A package's ``__init__`` importing its own
submodules is the normal shape; ``from . import sub`` names the submodule, not the package."""
import ast
import os

import jcstar_agent

PKG = os.path.dirname(os.path.abspath(jcstar_agent.__file__))


def _modules() -> dict:
    mods = {}
    top = os.path.dirname(PKG)
    for d, dirs, files in os.walk(PKG):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(d, f)
                name = os.path.relpath(path, top)[:-3].replace(os.sep, ".")
                mods[name[:-len(".__init__")] if name.endswith(".__init__") else name] = path
    return mods


def _module_level_imports(tree):
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for name in ("body", "orelse", "finalbody"):
                stack.extend(getattr(node, name, None) or [])
            for h in getattr(node, "handlers", None) or []:
                stack.extend(h.body)


def graph() -> dict:
    mods = _modules()
    out = {}
    for name, path in mods.items():
        package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        deps = set()
        for node in _module_level_imports(tree):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]
            deps.update(subs)
            if len(subs) < len(node.names):  # a name defined in base itself
                deps.add(base)
        out[name] = {d for d in deps if d in mods and d != name}
    return out


def cycles(g: dict) -> list:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in sorted(g):
        if start in index:
            continue
        work = [(start, iter(sorted(g[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_boot_listeners_imports_the_leaf_model_only():
    deps = graph()["jcstar_agent.facts.boot_listeners"]
    assert "jcstar_agent.facts.listener_model" in deps
    assert not deps & {"jcstar_agent.facts.listeners", "jcstar_agent.facts.sockets"}, deps
    # a leaf among the facts: only the address helpers of the target layer
    assert graph()["jcstar_agent.facts.listener_model"] <= {"jcstar_agent.target.address"}


def test_the_checker_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
