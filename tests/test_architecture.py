"""The structure drawn from the imports: no import loops between modules, small modules, layer contracts."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("app", "core", "models")
MAX_LINES = 400


def test_no_import_cycles_between_modules():
    import grimp

    graph = grimp.build_graph(*PACKAGES)
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    index = {m: i for i, m in enumerate(modules)}
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in index} for m in modules}
    # Tarjan's strongly connected components: any component of 2+ modules is a loop
    counter, stack, on, low, num, loops = [0], [], set(), {}, {}, []

    def visit(v):
        num[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in num:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], num[w])
        if low[v] == num[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                loops.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for m in modules:
        if m not in num:
            visit(m)
    assert loops == [], f"import loops: {loops}"


def test_no_module_over_400_lines():
    big = {str(p.relative_to(ROOT)): n for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
           if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert big == {}


def test_layer_contracts_hold():
    exe = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(exe)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:]
