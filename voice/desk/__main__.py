"""Staff accounts for the agent desk (database: STAFF_DB_URL, else var/staff.db).

python -m voice.desk add-staff USERNAME ROLE [--name 姓名]   asks the password twice (make staff-add)
python -m voice.desk list-staff
"""

import argparse
import getpass
import sys
from typing import List, Optional

from voice.desk.accounts import ROLES, StaffError, StaffStore, check_username_and_role


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m voice.desk", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add-staff", help="add a staff account; the password is asked for, never shown")
    add.add_argument("username")
    add.add_argument("role", help=" | ".join(ROLES))
    add.add_argument("--name", help="the name customers and colleagues see, e.g. 王敏 (default: the username)")
    sub.add_parser("list-staff", help="usernames, names and roles")
    return parser


def add_staff(username: str, role: str, name: Optional[str]) -> int:
    try:
        username = check_username_and_role(username, role)
        store = StaffStore()
        if any(staff.username == username for staff in store.list_staff()):
            raise StaffError("exists", f"staff {username} already exists")
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Again: ") != password:
            raise StaffError("differ", "the two passwords differ; nothing added")
        staff = store.add(username, password, role, name)
    except StaffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\nerror: no password given; nothing added", file=sys.stderr)
        return 1
    print(f"staff {staff.username} ({staff.role}) added")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "add-staff":
        return add_staff(args.username, args.role, args.name)
    for staff in StaffStore().list_staff():
        print(f"{staff.username}\t{staff.role}\t{staff.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
