# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""What verify reads from a libvirt domain's XML (``virsh dumpxml``).

Element names follow libvirt's domain format (formatdomain.html): the
firmware is ``/domain/os/loader`` (its ``type`` is ``pflash`` for UEFI flash
images) with the guest's own variable store in ``/domain/os/nvram``; nova
logs a serial console through ``<log file=...>`` on the serial and console
devices, and names the neutron port of an Open vSwitch interface in
``virtualport/parameters/@interfaceid``. A config drive is a ``<disk
device="cdrom">`` whose ``target/@bus`` nova takes from hw_cdrom_bus; on the
SCSI bus, ``address/@controller`` names the ``<controller type="scsi">``
whose ``model`` (hw_scsi_model) decides whether an aarch64 guest sees it.
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
    scsi_models = {
        controller.get("index"): controller.get("model")
        for controller in root.findall("devices/controller[@type='scsi']")
    }
    cdroms = []
    for disk in root.findall("devices/disk[@device='cdrom']"):
        source, target, address = disk.find("source"), disk.find("target"), disk.find("address")
        bus = target.get("bus") if target is not None else None
        controller = address.get("controller") if address is not None else None
        cdroms.append(
            {
                "source": source.get("file") if source is not None else None,
                "bus": bus,
                "dev": target.get("dev") if target is not None else None,
                "scsi_model": scsi_models.get(controller or "0") if bus == "scsi" else None,
            }
        )
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
        "cdroms": cdroms,
    }
