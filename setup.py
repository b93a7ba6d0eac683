"""Shim for builders that still run ``setup.py`` (Yocto's setuptools3 class, Buildroot's setuptools
package type): the distribution is declared in pyproject.toml only. setuptools >= 61 reads it
itself; an older one (Yocto kirkstone ships 59) is handed the same declaration here."""
import re

import setuptools


def _from_pyproject() -> dict:
    """pyproject.toml's [project] and [tool.setuptools] as setup() keywords (setuptools < 61)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    with open("pyproject.toml", "rb") as fh:
        doc = tomllib.load(fh)
    p, tool = doc["project"], doc["tool"]["setuptools"]
    with open("jcstar_agent/__init__.py", encoding="utf-8") as fh:
        version = re.search(r'__version__ = "([^"]+)"', fh.read()).group(1)
    with open(p["readme"], encoding="utf-8") as fh:
        readme = fh.read()
    return dict(
        name=p["name"], version=version, description=p["description"], long_description=readme,
        long_description_content_type="text/markdown", license=p["license"]["text"],
        python_requires=p["requires-python"], classifiers=p["classifiers"],
        install_requires=p["dependencies"], extras_require=p["optional-dependencies"],
        entry_points={"console_scripts": [f"{k}={v}" for k, v in p["scripts"].items()]},
        packages=tool["packages"], package_dir=tool["package-dir"],
        package_data=tool["package-data"], include_package_data=False)


if int(setuptools.__version__.split(".")[0]) >= 61:
    setuptools.setup()
else:
    setuptools.setup(**_from_pyproject())
