"""The WACloud dialect's router, with every route module registered on it."""

from chalicelib.api.dialects.wacloud import (  # noqa: F401 (each registers its routes)
    account,
    contacts,
    devices,
    messages,
    otp,
    templates,
    webhooks,
)
from chalicelib.api.dialects.wacloud.profile import router

__all__ = ["router"]
