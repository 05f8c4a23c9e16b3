"""alembic_status as Ansible runs it, with scripts on disk and PyMySQL replaced."""

import json
import sys
import types

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.dozencloud.cloud.plugins.modules import alembic_status

SCRIPTS = {
    "a_initial.py": "revision = 'a'\ndown_revision = None\n",
    "expand/b_expand.py": "revision = 'b'\ndown_revision = 'a'\n",
    "contract/c_contract.py": "revision = 'c'\ndown_revision = 'a'\n",
    "__init__.py": "",
}


class OperationalError(Exception):
    pass


class ProgrammingError(Exception):
    pass


@pytest.fixture
def versions(tmp_path):
    for name, text in SCRIPTS.items():
        path = tmp_path / "versions" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "versions"


@pytest.fixture
def database(monkeypatch):
    """A fake PyMySQL whose database holds ``state['rows']`` or raises ``state['error']``."""
    state = {"rows": [], "error": None, "asked": []}

    class Cursor:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, query):
            state["asked"].append(query)
            if state["error"] and isinstance(state["error"], ProgrammingError):
                raise state["error"]

        def fetchall(self):
            return [(r,) for r in state["rows"]]

    class Connection:
        def cursor(self):
            return Cursor()

        def close(self):
            pass

    def connect(**kwargs):
        state["connect"] = kwargs
        if state["error"] and isinstance(state["error"], OperationalError):
            raise state["error"]
        return Connection()

    fake = types.ModuleType("pymysql")
    fake.connect = connect
    fake.err = types.SimpleNamespace(
        OperationalError=OperationalError, ProgrammingError=ProgrammingError
    )
    monkeypatch.setitem(sys.modules, "pymysql", fake)
    return state


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        alembic_status.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_a_database_at_both_heads_is_current(versions, database, capsys):
    database["rows"] = ["c", "b"]
    code, result = run(capsys, database="keystone", migrations=[str(versions)])
    assert code == 0
    assert result["current"] is True and result["changed"] is False
    assert result["heads"] == ["b", "c"] and result["missing"] == []
    assert database["connect"] == {
        "unix_socket": "/run/mysqld/mysqld.sock",
        "user": "root",
        "database": "keystone",
    }
    assert database["asked"] == ["SELECT version_num FROM `alembic_version`"]


def test_a_database_behind_names_the_missing_head(versions, database, capsys):
    database["rows"] = ["b"]
    code, result = run(capsys, database="keystone", migrations=[str(versions)])
    assert code == 0 and result["current"] is False and result["missing"] == ["c"]


@pytest.mark.parametrize(
    "error", [OperationalError(1049, "Unknown database"), ProgrammingError(1146, "no table")]
)
def test_a_missing_database_or_table_is_empty(versions, database, capsys, error):
    database["error"] = error
    code, result = run(capsys, database="nova_cell0", migrations=[str(versions)])
    assert code == 0 and result["current"] is False and result["revisions"] == []


def test_a_database_newer_than_the_code_fails_naming_the_revision(versions, database, capsys):
    database["rows"] = ["b", "zz9"]
    code, result = run(capsys, database="keystone", migrations=[str(versions)])
    assert code == 1
    assert (
        "database keystone is at revision zz9, which the installed code does not know"
        in (result["msg"])
    )


def test_a_missing_service_fails_but_check_mode_reports_a_migration_due(tmp_path, database, capsys):
    missing = str(tmp_path / "no" / "versions")
    code, result = run(capsys, database="glance", migrations=[missing])
    assert code == 1 and "is not a directory: is the service installed?" in result["msg"]
    code, result = run(capsys, database="glance", migrations=[missing], _ansible_check_mode=True)
    assert code == 0 and result["current"] is False and "is not a directory" in result["reason"]


def test_an_unreachable_database_fails_outside_check_mode(versions, database, capsys):
    database["error"] = OperationalError(2002, "Can't connect to local server through socket")
    code, result = run(capsys, database="glance", migrations=[str(versions)])
    assert code == 1 and "cannot read database glance" in result["msg"]
