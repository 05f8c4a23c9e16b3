# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Glance image property filters: build a consistent set, or audit one."""

from ansible.errors import AnsibleFilterError
from ansible_collections.dozencloud.cloud.plugins.module_utils.glance import (
    ImagePropertyError,
    build_image_properties,
    image_property_drift,
    lint_image_properties,
)


def glance_image_properties(spec):
    """The complete Glance property set for an image spec."""
    try:
        return build_image_properties(spec)
    except ImagePropertyError as exc:
        raise AnsibleFilterError(f"glance_image_properties: {exc}") from None


def glance_image_lint(props):
    """Problems of an existing image's properties, as {property, value, problem, fix}."""
    try:
        return lint_image_properties(props)
    except ImagePropertyError as exc:
        raise AnsibleFilterError(f"glance_image_lint: {exc}") from None


def glance_image_drift(image, wanted):
    """The wanted properties an existing image lacks or holds with another value."""
    try:
        return image_property_drift(image, wanted)
    except ImagePropertyError as exc:
        raise AnsibleFilterError(f"glance_image_drift: {exc}") from None


class FilterModule:
    def filters(self):
        return {
            "glance_image_properties": glance_image_properties,
            "glance_image_lint": glance_image_lint,
            "glance_image_drift": glance_image_drift,
        }
