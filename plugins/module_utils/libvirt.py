# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""What verify reads from a libvirt domain's XML (``virsh dumpxml``).

Element names follow libvirt's domain format (formatdomain.html): the
firmware is ``/domain/os/loader`` (its ``type`` is ``pflash`` for UEFI flash
images) with the guest's own variable store in ``/domain/os/nvram``; nova
logs a serial console through ``<log file=...>`` on the serial and console
devices, and names the neutron port of an Open vSwitch interface in
``virtualport/parameters/@interfaceid``.
"""

import xml.etree.ElementTree as ET


class DomainXMLError(ValueError):
    """The text is not a libvirt domain."""


def _text(element):
    return element.text.strip() if element is not None and element.text else None


def domain_info(xml):
    """A flat dict of the domain's identity, firmware, console logs and ports."""
    if not isinstance(xml, str) or not xml.strip():
        raise DomainXMLError("no domain XML given (empty or not a string)")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise DomainXMLError(f"not XML: {exc}") from None
    if root.tag != "domain":
        raise DomainXMLError(f"the root element is <{root.tag}>, not <domain>")
    os_element = root.find("os")
    os_type = root.find("os/type")
    loader = root.find("os/loader")
    nvram = root.find("os/nvram")
    logs = [
        log.get("file")
        for device in ("serial", "console")
        for log in root.findall(f"devices/{device}/log")
        if log.get("file")
    ]
    ports = [
        params.get("interfaceid")
        for params in root.findall("devices/interface/virtualport/parameters")
        if params.get("interfaceid")
    ]
    return {
        "name": _text(root.find("name")),
        "uuid": _text(root.find("uuid")),
        "domain_type": root.get("type"),
        "arch": os_type.get("arch") if os_type is not None else None,
        "machine": os_type.get("machine") if os_type is not None else None,
        "os_firmware": os_element.get("firmware") if os_element is not None else None,
        "loader": _text(loader),
        "loader_type": loader.get("type") if loader is not None else None,
        "loader_readonly": loader.get("readonly") if loader is not None else None,
        "nvram": _text(nvram),
        "nvram_template": nvram.get("template") if nvram is not None else None,
        "console_logs": list(dict.fromkeys(logs)),
        "port_ids": ports,
    }
