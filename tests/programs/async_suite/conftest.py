"""The async mask suite needs pytest-asyncio; without it the suite is left out of collection."""
import importlib.util

collect_ignore = [] if importlib.util.find_spec("pytest_asyncio") else ["test_masks.py"]
