# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Gather the ``dozen_host`` facts from a host through a small reader object.

``gather_host_facts(reader)`` holds all decisions; ``HostReader`` is the only
code that touches the running system (files, uname, sysconf, the auxiliary
vector, KVM ioctls). Unit tests pass a fixture-backed reader instead.

Standard library only: this runs on every lab and production host.
"""

import ctypes
import fcntl
import os
import re

from ansible_collections.dozencloud.cloud.plugins.module_utils.arch import (
    arch_family,
    arch_names,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.cpu import (
    cpuinfo_family,
    hwcap_features,
    identify_arm,
    identify_x86,
    parse_cpuinfo,
    parse_smbios_processor,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.firmware import (
    FIRMWARE_DIRS,
    load_descriptors,
    mark_missing_files,
)
from ansible_collections.dozencloud.cloud.plugins.module_utils.hugepages import (
    possible_hugepage_sizes_kb,
    sysfs_hugepage_sizes_kb,
)

AT_HWCAP = 16
AT_HWCAP2 = 26

# include/uapi/linux/kvm.h: KVMIO is 0xAE and these ioctls take no structure.
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_CHECK_EXTENSION = 0xAE03
KVM_CAP_ARM_EL1_32BIT = 93

HUGEPAGES_DIR = "/sys/kernel/mm/hugepages"
SMBIOS_PROCESSOR = "/sys/firmware/dmi/entries/4-0/raw"
EMULATED = "unknown (emulated)"
KERNEL_FLAVOURS = {4096: "4k", 16384: "16k", 65536: "64k"}

# Standard arch timer INTIDs (Arm Base System Architecture): the kernel picks
# the EL2 timer when it runs at EL2 (VHE), the EL1 physical timer when it runs
# at EL1 with a hypervisor below it (nVHE), and the virtual timer without EL2.
ARCH_TIMER_HYP = 26
ARCH_TIMER_VIRT = 27
ARCH_TIMER_PHYS = 30

_KERNEL_SUFFIX = re.compile(r"[+-](?:rt-)?(16k|64k)(?:-debug)?$")
_TIMER_LINE = re.compile(r"\s(\d+)\s+(?:Level|Edge)\s+arch_timer\s*$", re.M)
_X86_INTERRUPT_ROWS = re.compile(r"^\s*(?:NMI|LOC|MCE):", re.M)
_ARM_INTERRUPT_ROWS = re.compile(r"^\s*IPI\d+:", re.M)
_GIC_CHIPS = re.compile(r"\bGIC(?:v(\d)|-\d+\b|\b)")


class HostReader:
    """Reads the running system. Each method answers None for what is absent."""

    def read_text(self, path):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None

    def read_bytes(self, path):
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except OSError:
            return None

    def list_dir(self, path):
        try:
            return sorted(os.listdir(path))
        except OSError:
            return None

    def exists(self, path):
        return os.path.exists(path)

    def uname(self):
        """``(machine, release)`` as ``uname -m`` and ``uname -r`` print them."""
        info = os.uname()
        return info.machine, info.release

    def page_size(self):
        return os.sysconf("SC_PAGE_SIZE")

    def cpu_count(self):
        return os.cpu_count()

    def hwcaps(self):
        """``(AT_HWCAP, AT_HWCAP2)`` of this process, as the (emulated) kernel set them."""
        try:
            getauxval = ctypes.CDLL(None).getauxval
        except (OSError, AttributeError):
            return None, None
        getauxval.restype = ctypes.c_ulong
        getauxval.argtypes = [ctypes.c_ulong]
        return getauxval(AT_HWCAP), getauxval(AT_HWCAP2)

    def kvm_probe(self, check_el1_32bit):
        """Try to create (and at once destroy) a VM; report each step.

        Returns ``{device, api_version, vm_created, el1_32bit, error}``.
        ``el1_32bit`` is the KVM_CHECK_EXTENSION answer on the VM descriptor,
        asked only when ``check_el1_32bit`` is true.
        """
        probe = {
            "device": os.path.exists("/dev/kvm"),
            "api_version": None,
            "vm_created": False,
            "el1_32bit": None,
            "error": None,
        }
        if not probe["device"]:
            return probe
        step = "open /dev/kvm"
        try:
            kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
        except OSError as exc:
            probe["error"] = f"{step}: {exc.strerror}"
            return probe
        try:
            step = "KVM_GET_API_VERSION"
            probe["api_version"] = fcntl.ioctl(kvm, KVM_GET_API_VERSION, 0)
            step = "KVM_CREATE_VM"
            vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
            probe["vm_created"] = True
            try:
                if check_el1_32bit:
                    step = "KVM_CHECK_EXTENSION(KVM_CAP_ARM_EL1_32BIT)"
                    probe["el1_32bit"] = fcntl.ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_EL1_32BIT)
            finally:
                os.close(vm)
        except OSError as exc:
            probe["error"] = f"{step}: {exc.strerror}"
        finally:
            os.close(kvm)
        return probe


def kernel_facts(release, page_size):
    """Kernel release, flavour from the real page size, and the package suffix."""
    match = _KERNEL_SUFFIX.search(release or "")
    suffix = match.group(1) if match else None
    return {
        "release": release,
        "flavour": KERNEL_FLAVOURS.get(page_size, f"{page_size // 1024}k"),
        "release_page_suffix": suffix,
        "separate_64k_kernel": suffix == "64k",
    }


def interrupts_family(text):
    """'x86' or 'arm' from the per-CPU rows of /proc/interrupts, or None."""
    if _X86_INTERRUPT_ROWS.search(text or ""):
        return "x86"
    if _ARM_INTERRUPT_ROWS.search(text or ""):
        return "arm"
    return None


def detect_emulation(machine, processors, interrupts, binfmt):
    """Decide whether uname's architecture is emulated in user mode.

    Under qemu-user, uname reports the guest architecture while /proc and
    /sys still belong to the kernel underneath. Returns
    ``(emulated, emulator, evidence)``.
    """
    claimed = arch_family(machine)
    seen_cpu = cpuinfo_family(processors)
    seen_irq = interrupts_family(interrupts)
    evidence = []
    if claimed and seen_cpu and seen_cpu != claimed:
        evidence.append(f"uname reports {machine} but /proc/cpuinfo describes an {seen_cpu} CPU")
    if claimed and seen_irq and seen_irq != claimed:
        evidence.append(f"/proc/interrupts has the per-CPU rows of an {seen_irq} kernel")
    if not evidence:
        seen = seen_cpu or seen_irq
        if seen:
            return False, None, f"uname and the kernel's /proc agree: {machine} is an {seen} CPU"
        return False, None, f"nothing in /proc contradicts uname ({machine})"
    if binfmt and "enabled" in binfmt.splitlines()[0]:
        interpreter = next(
            (ln.split(None, 1)[1] for ln in binfmt.splitlines() if ln.startswith("interpreter ")),
            "unknown",
        )
        evidence.append(f"binfmt_misc runs {machine} binaries through {interpreter}")
    return True, "qemu-user", "; ".join(evidence)


def emulation(machine, read_text, processors=None, interrupts=None):
    """``detect_emulation`` for the running host, reading what it needs with read_text.

    processors (parsed /proc/cpuinfo) and interrupts (/proc/interrupts) are
    read here unless the caller has them already; binfmt_misc's entry is the
    one qemu-user registers for machine.
    """
    if processors is None:
        processors, _platform = parse_cpuinfo(read_text("/proc/cpuinfo"))
    if interrupts is None:
        interrupts = read_text("/proc/interrupts")
    qemu = arch_names(machine).get("qemu")
    binfmt = read_text(f"/proc/sys/fs/binfmt_misc/qemu-{qemu}") if qemu else None
    return detect_emulation(machine, processors, interrupts, binfmt)


def gic_version(interrupts):
    """GIC architecture version from /proc/interrupts chip names, or None.

    irq-gic-v3 names its chip GICv3; GICv4 shows up only through its vPE
    doorbell chips (GICv4-vpe, GICv4.1-sgi) once a guest uses direct
    injection; irq-gic names GICv2-class chips GICv2, GIC or GIC-<n>.
    """
    versions = set()
    for match in _GIC_CHIPS.finditer(interrupts or ""):
        versions.add(int(match.group(1)) if match.group(1) else 2)
    return max(versions) if versions else None


def kvm_arm_mode(cmdline, interrupts, kvm_usable):
    """The arm64 KVM mode and how it was found: ``(mode, source)``.

    An explicit ``kvm-arm.mode=`` on the kernel command line wins. Otherwise
    the arch timer's interrupt tells where the kernel runs: the EL2 timer means
    the kernel runs at EL2, which is VHE; the EL1 physical timer means a
    hypervisor stub sits below the kernel, which KVM uses in nVHE mode.
    """
    mode = None
    for token in (cmdline or "").split():
        if token.startswith("kvm-arm.mode="):
            mode = token.split("=", 1)[1]
    if mode in ("nvhe", "protected", "nested"):
        return mode, f"kernel command line kvm-arm.mode={mode}"
    if mode == "none":
        return None, "kernel command line kvm-arm.mode=none disables KVM"
    if not kvm_usable:
        return None, "KVM is not usable, so no KVM mode applies"
    if interrupts is None:
        return None, "/proc/interrupts could not be read"
    match = _TIMER_LINE.search(interrupts)
    if not match:
        return None, "no arch_timer row in /proc/interrupts"
    intid = int(match.group(1))
    if intid == ARCH_TIMER_HYP:
        return "vhe", f"arch_timer uses the EL2 timer (INTID {intid}): the kernel runs at EL2"
    if intid == ARCH_TIMER_PHYS:
        return "nvhe", f"arch_timer uses the EL1 physical timer (INTID {intid}) with EL2 below"
    if intid == ARCH_TIMER_VIRT:
        return None, f"arch_timer uses the virtual timer (INTID {intid}), as without EL2"
    return None, f"arch_timer INTID {intid} does not tell the KVM mode"


def kvm_facts(probe, canonical, emulated, cmdline, interrupts):
    """Interpret a KVM probe for this host."""
    facts = {
        "kvm_present": bool(probe.get("device")),
        "kvm_usable": False,
        "kvm_reason": None,
        "kvm_mode": None,
        "kvm_mode_source": None,
        "aarch32_el1": None,
    }
    if emulated:
        facts["kvm_reason"] = (
            f"this {canonical} host is emulated in user mode; /dev/kvm, if present, belongs "
            "to the kernel underneath and cannot run its guests"
        )
        return facts
    if not probe.get("device"):
        facts["kvm_reason"] = "/dev/kvm does not exist (no KVM in this kernel, or not exposed here)"
    elif probe.get("vm_created"):
        facts["kvm_usable"] = True
        facts["kvm_reason"] = f"KVM_CREATE_VM succeeded (KVM API {probe.get('api_version')})"
    else:
        facts["kvm_reason"] = f"/dev/kvm exists but no VM could be created: {probe.get('error')}"
    if canonical == "aarch64":
        facts["kvm_mode"], facts["kvm_mode_source"] = kvm_arm_mode(
            cmdline, interrupts, facts["kvm_usable"]
        )
        if facts["kvm_usable"] and probe.get("el1_32bit") is not None:
            facts["aarch32_el1"] = probe["el1_32bit"] > 0
    return facts


def firmware_directories(reader):
    """``[(directory, {name: content})]`` of the descriptor directories, for load_descriptors."""
    directories = []
    for directory in FIRMWARE_DIRS:
        files = {}
        for name in reader.list_dir(directory) or ():
            if name.endswith(".json"):
                files[name] = reader.read_text(f"{directory}/{name}") or ""
        directories.append((directory, files))
    return directories


def host_firmware(reader):
    """``(descriptors, errors)`` in effect on the host, each marked with its missing files."""
    descriptors, errors = load_descriptors(firmware_directories(reader))
    return mark_missing_files(descriptors, reader.exists), errors


def gather_host_facts(reader):
    """Build the ``dozen_host`` facts. See plugins/modules/host_facts.py for the shape."""
    machine, release = reader.uname()
    arch = arch_names(machine)
    canonical = arch["canonical"]
    family = arch_family(machine)
    processors, _platform = parse_cpuinfo(reader.read_text("/proc/cpuinfo"))
    interrupts = reader.read_text("/proc/interrupts")
    emulated, emulator, evidence = emulation(machine, reader.read_text, processors, interrupts)

    if emulated:
        cpu = {
            "vendor": EMULATED,
            "core": EMULATED,
            "implementer": None,
            "part": None,
            "variant": None,
            "revision": None,
            "model_name": None,
            "features": [],
        }
    elif family == "x86" or (family is None and cpuinfo_family(processors) == "x86"):
        cpu = identify_x86(processors)
    else:
        smbios = parse_smbios_processor(reader.read_bytes(SMBIOS_PROCESSOR))
        cpu = identify_arm(processors, smbios)
    cpu["features_source"] = "cpuinfo"
    if family == "arm" and not cpu["features"]:
        cpu["features"] = hwcap_features(canonical, *reader.hwcaps())
        cpu["features_source"] = "hwcap"
    cpu["count"] = reader.cpu_count() or len(processors) or None

    page_size = reader.page_size()
    available = [] if emulated else sysfs_hugepage_sizes_kb(reader.list_dir(HUGEPAGES_DIR))

    container = (reader.read_text("/run/systemd/container") or "").strip()
    virt = {"container": container or None}
    if emulated:
        probe = {"device": reader.exists("/dev/kvm")}
    else:
        probe = reader.kvm_probe(check_el1_32bit=canonical == "aarch64")
    virt.update(
        kvm_facts(probe, canonical, emulated, reader.read_text("/proc/cmdline"), interrupts)
    )
    virt["gic_version"] = gic_version(interrupts) if family == "arm" and not emulated else None

    firmware, firmware_errors = host_firmware(reader)
    return {
        "arch": arch,
        "page_size": page_size,
        "kernel": kernel_facts(release, page_size),
        "hugepages": {
            "available_kb": available,
            "possible_kb": possible_hugepage_sizes_kb(canonical, page_size, cpu["features"]),
        },
        "cpu": cpu,
        "emulated": emulated,
        "emulator": emulator,
        "emulation_evidence": evidence,
        "virt": virt,
        "firmware": firmware,
        "firmware_errors": firmware_errors,
    }
