"""One installable project for every service and lib: each lives in its own src/ under the o2c namespace."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOTS = [
    "libs/india/src",
    "libs/contracts/src",
    "libs/kit/src",
    *(f"services/{s}/src" for s in ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")),
]

packages: list[str] = []
package_dir: dict[str, str] = {}
for root in ROOTS:
    for pkg in find_namespace_packages(root, include=["o2c.*"]):
        if Path(root, *pkg.split(".")).joinpath("__init__.py").exists():
            packages.append(pkg)
            package_dir[pkg] = f"{root}/{pkg.replace('.', '/')}"

setup(packages=packages, package_dir=package_dir)
