# Copyright: DozenCloud developers
# Apache License 2.0 (see LICENSE)
"""Tempest against a DozenCloud site: its configuration and its test lists, as pure functions.

``tempest_config`` turns what the cloud says about itself (the
``cloud_capabilities`` module: services, microversions, network extensions,
hypervisors, roles, image import methods) and what the site decides (the
``tempest`` role's settings: credentials, the test image and flavors,
timeouts) into tempest.conf's sections, for the ``to_ini`` filter. Nothing
in it is guessed: a feature Tempest would test is on only when the cloud
reports it, or when the site's own configuration (the scheduler's filters)
says so.

``test_lists`` joins a named profile's include and exclude lists with the
site's own. Every exclude carries its reason; one without is refused, so no
test is hidden without saying why.
"""

import re

# Catalog service types -> tempest's [service_available] keys. Identity is
# always there (Tempest needs it to start).
SERVICE_FLAGS = {
    "compute": "nova",
    "network": "neutron",
    "image": "glance",
    "block-storage": "cinder",
    "volumev3": "cinder",
    "object-store": "swift",
    "orchestration": "heat",
    "dashboard": "horizon",
}


class TempestConfigError(ValueError):
    """The inputs cannot make a tempest.conf; the message names the input and the fix."""


def _require(mapping, keys, where):
    missing = [key for key in keys if mapping.get(key) in (None, "")]
    if missing:
        raise TempestConfigError(f"{where}: {', '.join(missing)} missing")


def _dict_opt(properties):
    """An oslo.config DictOpt value: key:value pairs, comma-separated."""
    items = []
    for key, value in sorted(properties.items()):
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if any(c in f"{key}{text}" for c in ",:"):
            raise TempestConfigError(
                f"image property {key}={text}: a DictOpt value cannot hold ',' or ':'"
            )
        items.append(f"{key}:{text}")
    return ",".join(items)


def compute_nodes(capabilities, architecture=None):
    """The hypervisors that are up and enabled, of one architecture when given."""
    nodes = []
    for hypervisor in capabilities.get("hypervisors", []):
        if hypervisor.get("state") != "up" or hypervisor.get("status") != "enabled":
            continue
        if architecture and hypervisor.get("architecture") != architecture:
            continue
        nodes.append(hypervisor)
    return nodes


def tempest_config(capabilities, settings):
    """tempest.conf as {section: {key: value}}.

    ``settings`` keys: auth (auth_url, username, password, project_name,
    user_domain_name, project_domain_name), region, interface,
    image_ref, image_ref_alt, image_architecture, image_file,
    image_disk_format, image_properties, flavor_ref, flavor_ref_alt,
    scheduler_filters, consoles, build_timeout, project_network_cidr,
    public_network_id, log_dir, lock_path, config_drive, validation.
    """
    _require(
        settings,
        ["auth", "region", "interface", "image_ref", "flavor_ref", "image_architecture"],
        "tempest settings",
    )
    auth = settings["auth"]
    _require(auth, ["auth_url", "username", "project_name"], "tempest settings: auth")
    services = {s["type"] for s in capabilities.get("services", []) if s.get("enabled", True)}
    for needed in ("compute", "image", "network"):
        if needed not in services:
            raise TempestConfigError(
                f"the cloud's catalog has no enabled {needed} service; DozenCloud's Tempest "
                "profiles test compute, image and network"
            )
    microversions = capabilities.get("microversions", {})
    extensions = sorted(capabilities.get("network_extensions", []))
    public_network = settings.get("public_network_id") or None
    if public_network is None:
        # Neutron lists the extension, but allocating a topology needs a
        # default external network (and subnet pool): without one every
        # request fails "Unable to automatically allocate a network".
        extensions = [e for e in extensions if e != "auto-allocated-topology"]
    roles = set(capabilities.get("roles", []))
    arch = settings["image_architecture"]
    same_arch = compute_nodes(capabilities, arch)
    if not same_arch:
        raise TempestConfigError(
            f"no compute of architecture {arch} is up and enabled; fix: start one, or set "
            "tempest_image_architecture to an architecture the computes have"
        )
    # Moving a server needs a second compute it can run on.
    movable = len(same_arch) >= 2
    filters = list(settings.get("scheduler_filters") or [])
    interface = settings["interface"]
    region = settings["region"]
    timeout = int(settings.get("build_timeout") or 300)
    compute_versions = microversions.get("compute") or {}
    placement_versions = microversions.get("placement") or {}
    import_methods = capabilities.get("image_import_methods", [])
    consoles = list(settings.get("consoles") or [])

    conf = {
        "DEFAULT": {
            "log_dir": settings.get("log_dir"),
            "log_file": "tempest.log" if settings.get("log_dir") else None,
            "use_stderr": False,
        },
        "auth": {
            "admin_username": auth["username"],
            # Left out when not given: the caller adds it where nothing logs it.
            "admin_password": auth.get("password"),
            "admin_project_name": auth["project_name"],
            "admin_domain_name": auth.get("user_domain_name") or "Default",
            "use_dynamic_credentials": True,
            "create_isolated_networks": True,
            # Keystone's bootstrap makes member and reader; Tempest's default
            # role list is empty and its users would then have no role at all.
            "tempest_roles": ["member"] if "member" in roles else None,
        },
        "identity": {
            "uri_v3": auth["auth_url"],
            "auth_version": "v3",
            "region": region,
            "v3_endpoint_type": interface,
        },
        "identity-feature-enabled": {
            "api_v2": False,
            "api_v3": True,
            "trust": True,
            "application_credentials": True,
            "access_rules": True,
            "project_tags": True,
        },
        "compute": {
            "region": region,
            "endpoint_type": interface,
            "image_ref": settings["image_ref"],
            "image_ref_alt": settings.get("image_ref_alt") or settings["image_ref"],
            "flavor_ref": settings["flavor_ref"],
            "flavor_ref_alt": settings.get("flavor_ref_alt") or settings["flavor_ref"],
            "min_compute_nodes": len(same_arch),
            "min_microversion": compute_versions.get("min"),
            "max_microversion": compute_versions.get("max"),
            "build_timeout": timeout,
        },
        "compute-feature-enabled": {
            "console_output": True,
            "config_drive": bool(settings.get("config_drive", True)),
            "resize": movable,
            "cold_migration": movable,
            "live_migration": movable,
            "block_migration_for_live_migration": movable,
            "scheduler_enabled_filters": filters or None,
            "change_password": False,
            # The consoles the compute offers for this architecture.
            "vnc_console": "novnc" in consoles,
            "spice_console": False,
            "serial_console": "serial" in consoles,
            "attach_encrypted_volume": False,
        },
        "image": {
            "region": region,
            "endpoint_type": interface,
            "build_timeout": timeout,
        },
        "image-feature-enabled": {
            "api_v2": True,
            "import_image": "glance-direct" in import_methods,
            "os_glance_reserved": True,
        },
        "network": {
            "region": region,
            "endpoint_type": interface,
            "build_timeout": timeout,
            "project_network_cidr": settings.get("project_network_cidr"),
            "public_network_id": public_network,
        },
        "network-feature-enabled": {
            "api_extensions": extensions or None,
            "port_security": "port-security" in extensions,
            # A floating IP comes from an external network.
            "floating_ips": public_network is not None,
        },
        "placement": {
            "region": region,
            "endpoint_type": interface,
            "min_microversion": placement_versions.get("min"),
            "max_microversion": placement_versions.get("max"),
        },
        "service_available": {
            flag: any(t in services for t, f in SERVICE_FLAGS.items() if f == flag)
            for flag in dict.fromkeys(SERVICE_FLAGS.values())
        },
        "scenario": {
            "img_file": settings.get("image_file"),
            "img_disk_format": settings.get("image_disk_format") or "raw",
            "img_container_format": "bare",
            "img_properties": _dict_opt(settings.get("image_properties") or {}) or None,
        },
        "validation": {
            # A guest Tempest can log in to needs SSH and a floating IP.
            "run_validation": bool(settings.get("validation", False)),
        },
        "oslo_concurrency": {"lock_path": settings.get("lock_path")},
    }
    return conf


def _check_regex(regex, where):
    if not isinstance(regex, str) or not regex.strip():
        raise TempestConfigError(f"{where}: a test regex must be a non-empty string")
    if "#" in regex:
        raise TempestConfigError(f"{where}: {regex!r}: stestr's list files read '#' as a comment")
    try:
        re.compile(regex)
    except re.error as exc:
        raise TempestConfigError(f"{where}: {regex!r} is not a regular expression: {exc}") from None


def test_lists(profiles, profile, include=(), exclude=()):
    """(include regexes, exclude entries) of a profile plus the site's own.

    ``profiles`` maps names to {description, include: [regex], exclude:
    [{regex, reason}]}. Exclude entries need a reason: one without is an
    error naming it, so nothing is skipped silently.
    """
    if profile not in profiles:
        raise TempestConfigError(
            f"tempest_profile={profile!r} is not a profile; fix: use one of "
            f"{', '.join(sorted(profiles))}"
        )
    chosen = profiles[profile]
    includes = list(chosen.get("include", [])) + list(include)
    excludes = list(chosen.get("exclude", [])) + list(exclude)
    if not includes:
        raise TempestConfigError(f"tempest profile {profile!r} selects no tests")
    for regex in includes:
        _check_regex(regex, f"tempest profile {profile!r} include")
    for entry in excludes:
        if not isinstance(entry, dict):
            raise TempestConfigError(
                f"tempest exclude {entry!r}: write {{regex: ..., reason: ...}}, with the reason"
            )
        _check_regex(entry.get("regex"), f"tempest exclude {entry!r}")
        if not str(entry.get("reason") or "").strip():
            raise TempestConfigError(
                f"tempest exclude {entry['regex']!r} has no reason; every excluded test says why"
            )
    return includes, excludes


def exclude_file(excludes):
    """The --exclude-list file: each regex with its reason as a comment."""
    return "".join(f"{entry['regex']}  # {entry['reason']}\n" for entry in excludes)
