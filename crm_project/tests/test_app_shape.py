"""Every app has the same shape (README, "How the apps fit together"): a layer is
`<layer>.py` or a package `<layer>/<area>.py`, never `<layer>_<area>.py` siblings."""

import re
from pathlib import Path

from django.conf import settings

APPS = ("accounts", "jobs", "customers", "sales", "analytics", "support", "marketing")
LAYERS = ("models", "admin", "urls", "tasks", "services", "selectors", "forms", "filters", "tables", "views", "seed")
LAYER_SIBLING = re.compile(rf"^({'|'.join(LAYERS)})_\w+\.py$")


def test_no_app_root_has_layer_area_siblings():
    root = Path(settings.BASE_DIR)
    offenders = [
        f"{app}/{path.name}" for app in APPS for path in (root / app).glob("*.py") if LAYER_SIBLING.match(path.name)
    ]
    assert offenders == []


def test_each_app_has_at_most_one_template_tag_library():
    root = Path(settings.BASE_DIR)
    libraries = {app: sorted(p.stem for p in (root / app / "templatetags").glob("*_tags.py")) for app in APPS}
    assert {app: names for app, names in libraries.items() if len(names) > 1} == {}
