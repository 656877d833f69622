"""One installable project for every service and lib: each lives in its own src/ under the o2c namespace."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")
ROOTS = ["libs/india/src", "libs/contracts/src", "libs/kit/src", *(f"services/{s}/src" for s in SERVICES)]

packages: list[str] = []
package_dir: dict[str, str] = {}
for root in ROOTS:
    for pkg in find_namespace_packages(root, include=["o2c.*"]):
        if Path(root, *pkg.split(".")).joinpath("__init__.py").exists():
            packages.append(pkg)
            package_dir[pkg] = f"{root}/{pkg.replace('.', '/')}"

# Shipped in the wheel, not only beside the sources: the kit's Alembic environment (o2c/kit/alembic) and each
# service's revisions (services/<s>/migrations/versions → o2c/<s>/migrations/versions), so an installed service
# migrates its database at start (o2c.kit.db.migrations_dir finds them). Listed as packages: their files are .py.
packages.append("o2c.kit.alembic")
package_dir["o2c.kit.alembic"] = "libs/kit/src/o2c/kit/alembic"
for service in SERVICES:
    versions = f"services/{service}/migrations/versions"
    if Path(versions).is_dir():
        packages.append(f"o2c.{service}.migrations.versions")
        package_dir[f"o2c.{service}.migrations.versions"] = versions

# The shared test helpers, importable as `o2c.testsupport[.<lib or service>]` once `make install` has put the project
# in the virtualenv (no test edits sys.path). Present only in a checkout: the image's build context and the wheel
# test (tests/deploy/test_wheel.py) leave every tests/ folder out, so the wheel carries none of them.
TEST_SUPPORT = {"o2c.testsupport": "tests/support", "o2c.testsupport.kit": "libs/kit/tests/support",
                **{f"o2c.testsupport.{s}": f"services/{s}/tests/support" for s in SERVICES}}
for pkg, folder in TEST_SUPPORT.items():
    if Path(folder, "__init__.py").exists():
        packages.append(pkg)
        package_dir[pkg] = folder

setup(packages=packages, package_dir=package_dir)
