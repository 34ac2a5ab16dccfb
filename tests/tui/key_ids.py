"""Every key binding id the code defines, found by importing the modules that define bindings."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> list[str]:
    names = []
    for package, folder in (("widgets", ROOT / "widgets"), ("app.tui", ROOT / "app" / "tui")):
        for info in pkgutil.walk_packages([str(folder)], prefix=f"{package}."):
            source = folder.joinpath(*info.name.split(".")[len(package.split(".")):])
            text = (source.with_suffix(".py") if not info.ispkg else source / "__init__.py").read_text()
            if "Binding(" in text:
                names.append(info.name)
    return names


def bindings_in_code() -> dict[str, Binding]:
    """Binding id → the binding, from every DOM class of app/tui and widgets that declares BINDINGS."""
    found: dict[str, Binding] = {}
    from app.tui.keys import APP_BINDINGS

    for binding in APP_BINDINGS:
        found[binding.id or ""] = binding
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DOMNode) and value.__module__ == name:
                for binding in value.__dict__.get("BINDINGS", []):
                    if isinstance(binding, Binding) and binding.id:
                        found.setdefault(binding.id, binding)
    found.pop("", None)
    return found


def binding_ids_in_code() -> set[str]:
    return set(bindings_in_code())
