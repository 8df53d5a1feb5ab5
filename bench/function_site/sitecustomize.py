"""Put on PYTHONPATH of the function server in the benchmark: the packages that only the CLI's requirements
install (requirements.txt, on top of requirements-function.txt) become impossible to import, as on the
deployed function. google-cloud-bigquery imports pyarrow and numpy whenever they are installed (≈ 60 MB).
"""

import importlib.abc
import sys

ABSENT = {"duckdb", "pyarrow", "numpy", "pandas", "matplotlib", "tqdm"}


class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ABSENT:
            raise ModuleNotFoundError(f"No module named {name!r} (not in requirements-function.txt)", name=name)
        return None


sys.meta_path.insert(0, _Absent())
