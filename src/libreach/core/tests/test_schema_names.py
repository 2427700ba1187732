"""Every API schema has a name of its own: the OpenAPI document keys schemas by class name,
so a second `RequestOut` in another app silently replaces the first one there (document
delivery's did, and contactless borrowing's answers stopped matching the document)."""

import inspect
from collections import defaultdict
from importlib import import_module

from django.apps import apps
from ninja import Schema


def test_no_two_api_schemas_share_a_name():
    where: dict[str, set[str]] = defaultdict(set)
    modules = ["libreach.core.schemas"]
    for config in apps.get_app_configs():
        if config.name.startswith("libreach."):
            try:
                import_module(f"{config.name}.api")
            except ModuleNotFoundError:
                continue
            modules.append(f"{config.name}.api")
    for name in modules:
        module = import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls.__module__ == name:
                where[cls.__name__].add(name)
    shared = {name: sorted(found) for name, found in where.items() if len(found) > 1}
    assert shared == {}, f"schema names used in more than one module: {shared}"
