"""How higher apps add to analytics' pages without analytics knowing them.

CRM_RFM_ACTIONS: buttons on the RFM report's segment rows and grid cells
(`RfmAction`). Each is a small POST form to `url_name` carrying either
`rfm_segment=<segment name>` or `r=<R>&f=<F>`; marketing's "Make a segment" is one."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class RfmAction:
    label: Any
    url_name: str
    icon: str
    allowed: Callable[[Any], bool]


def rfm_actions(user) -> list[RfmAction]:
    actions = (import_string(dotted) for dotted in getattr(settings, "CRM_RFM_ACTIONS", []))
    return [action for action in actions if action.allowed(user)]
