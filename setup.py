"""Package discovery that pyproject.toml cannot express alone.

ontology/ and queries/ sit at the top of the repository (where people edit them) but are installed as the
packages kg.ontology and kg.queries, so that kg finds them from a checkout, an editable install or a wheel.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages("src"), "kg.ontology", "kg.queries"])
