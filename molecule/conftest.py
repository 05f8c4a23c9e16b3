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


def connect_as_admin(password):
    """An admin connection to the site's cloud through the VIP."""
    return openstack.connect(
        auth_url=f"http://{VIP}:5000/v3",
        username="admin",
        password=password,
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


@pytest.fixture(scope="module")
def admin_connection():
    """connect_as_admin, for a test that changes the admin's password."""
    return connect_as_admin


@pytest.fixture(scope="module")
def cloud(secrets):
    conn = connect_as_admin(secrets["keystone_admin_password"])
    yield conn
    conn.close()
