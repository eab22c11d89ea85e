"""Command line: ``python -m actions.bank init | outbox [phone] | tickets | callbacks | callback-done``."""

import argparse
import sys

from actions.bank.db import database_url, get_engine, init_db, session_scope
from actions.bank.errors import BankError
from actions.bank.models import Base
from actions.bank.services.tickets import callback_done, list_tickets, pending_callbacks
from actions.bank.sms.outbox import recent_messages

PRIORITY_NAMES = {"normal": "普通", "urgent": "紧急"}
STATUS_NAMES = {"open": "待处理", "closed": "已关闭"}


def cmd_init(_args) -> None:
    seeded = init_db()
    note = "（已写入演示数据）" if seeded else "（已有数据，未重复写入）"
    print(f"数据库已就绪：{database_url()}{note}")


def cmd_outbox(args) -> None:
    Base.metadata.create_all(get_engine())
    with session_scope() as session:
        messages = recent_messages(session, args.phone, limit=args.limit)
    if not messages:
        print("短信发件箱为空。")
    for m in messages:
        print(f"{m.created_at:%Y-%m-%d %H:%M:%S}  {m.masked_phone}  {m.text}  (会话 {m.conversation or '-'})")


def cmd_tickets(args) -> None:
    Base.metadata.create_all(get_engine())
    with session_scope() as session:
        tickets = list_tickets(session, limit=args.limit)
    if not tickets:
        print("目前没有人工服务工单。")
    for t in tickets:
        print(
            f"{t.number}  {t.created_at:%Y-%m-%d %H:%M}  [{PRIORITY_NAMES[t.priority]}] "
            f"{STATUS_NAMES.get(t.status, t.status)}  客户 {t.customer_id or '-'}  会话 {t.sender_id}\n    {t.summary}"
        )


def cmd_callbacks(args) -> None:
    """For the staff who call customers back: the number to dial is shown whole here, only here."""
    Base.metadata.create_all(get_engine())
    with session_scope() as session:
        waiting = pending_callbacks(session, limit=args.limit)
        if not waiting:
            print("目前没有待回电的客户。")
        for ticket, callback in waiting:
            print(
                f"{ticket.number}  {callback.created_at:%Y-%m-%d %H:%M}  [{PRIORITY_NAMES[ticket.priority]}] "
                f"回电号码 {callback.phone}\n    {ticket.summary}"
            )


def cmd_callback_done(args) -> None:
    Base.metadata.create_all(get_engine())
    with session_scope() as session:
        callback_done(session, args.ticket, args.agent, args.note)
    print(f"{args.ticket} 已回电，工单已关闭。")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.bank", description="演示银行数据库工具")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create tables and seed demo data").set_defaults(run=cmd_init)
    outbox = commands.add_parser("outbox", help="show the latest messages of the demo SMS outbox (one-time codes)")
    outbox.add_argument("phone", nargs="?")
    outbox.add_argument("--limit", type=int, default=5)
    outbox.set_defaults(run=cmd_outbox)
    tickets = commands.add_parser("tickets", help="list hand-off tickets")
    tickets.add_argument("--limit", type=int, default=20)
    tickets.set_defaults(run=cmd_tickets)
    callbacks = commands.add_parser("callbacks", help="list customers waiting for a call-back, with the number")
    callbacks.add_argument("--limit", type=int, default=50)
    callbacks.set_defaults(run=cmd_callbacks)
    done = commands.add_parser("callback-done", help="record that a customer was called back")
    done.add_argument("ticket", help="the ticket number, e.g. H000012")
    done.add_argument("--agent", required=True, help="who called")
    done.add_argument("--note", default="", help="what was settled")
    done.set_defaults(run=cmd_callback_done)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except BankError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
