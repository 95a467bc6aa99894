from setuptools import find_packages, setup
# templates/ and migrations/ live at the top of the repository but must ship inside
# the wheel too, so a non-editable install finds them as service/templates and
# service/migrations.
setup(
    packages=find_packages(include=["service*", "notifiers*"])
    + ["service.templates", "service.migrations"],
    package_dir={"service.templates": "templates", "service.migrations": "migrations"},
    package_data={
        "service.templates": ["**/*"],
        "service.migrations": ["**/*"],
        "service.plans": ["demo/*.txt"],  # the plan `duban demo` imports
        "service.web": ["static/*"],  # the stylesheet and icon the pages link
    },
)
