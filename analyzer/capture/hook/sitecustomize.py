"""Put on PYTHONPATH by `capture.launch` (for `python -m analyzer run`, and for each scenario
variant `analyze` runs): every Python process of the command starts here, records its compiles
once it imports torch, and otherwise runs as it would have.

Standard library only, and nothing is imported until the program imports torch itself: a process
that never does (pip, a shell script's helper) pays one environment lookup. The sitecustomize this
one shadows, if the environment has one, still runs.
"""
import os
import sys


def _chain() -> None:
    """Run the sitecustomize that would have run without this folder first on the path."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if os.path.abspath(entry or ".") == here:
            continue
        candidate = os.path.join(entry or ".", "sitecustomize.py")
        if os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_analyzer_chained_sitecustomize", candidate)
            if spec and spec.loader:
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
            return


class _AfterTorch:
    """A meta-path finder that lets `torch` import as usual, then installs the recording."""

    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec("torch")
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            original(module)
            try:
                from analyzer.capture import program

                program.install()
            except Exception as exc:  # the user's program runs even when recording cannot
                print(f"analyzer: cannot record the compiles of this process: {type(exc).__name__}: {exc}", file=sys.stderr)

        loader.exec_module = exec_module
        return spec


if os.environ.get("ANALYZER_RUN_DIR"):
    try:
        from analyzer.capture import program as _program  # standard library only until torch is imported

        _program.started()
    except Exception:
        pass
    sys.meta_path.insert(0, _AfterTorch())
_chain()
