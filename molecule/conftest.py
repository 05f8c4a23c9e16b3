"""Fixtures the molecule scenarios' testinfra checks share: the site's
secrets and an admin connection to its cloud through the VIP."""

import os
import pathlib

import openstack
import pytest
import yaml

VIP = "198.18.0.10"


@pytest.fixture(scope="module")
def secrets():
    ephemeral = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    return yaml.safe_load((ephemeral / "passwords.yml").read_text())


@pytest.fixture(scope="module")
def cloud(secrets):
    conn = openstack.connect(
        auth_url=f"http://{VIP}:5000/v3",
        username="admin",
        password=secrets["keystone_admin_password"],
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
        region_name="RegionOne",
        interface="public",
        # A connection the VIP drops, or a 503 while a service restarts, is
        # retried by keystoneauth instead of failing a check.
        connect_retries=3,
        status_code_retries=3,
    )
    yield conn
    conn.close()
