from actions.bank.__main__ import main
from actions.bank.db import session_scope
from actions.bank.services.identity import issue_otp
from actions.bank.services.tickets import create_ticket, request_callback
from actions.bank.sms import otp_text
from actions.bank.sms.outbox import DemoOutbox


def test_cli_init_outbox_tickets(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'var' / 'bank.db'}"
    monkeypatch.setenv("BANK_DATABASE_URL", url)
    assert main(["init"]) == 0
    assert "已写入演示数据" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert "未重复写入" in capsys.readouterr().out

    main(["outbox"])
    assert "发件箱为空" in capsys.readouterr().out
    with session_scope(url) as session:
        code = issue_otp(session, "13800138000", "web-1")
        create_ticket(session, "web-1", 1, "客户要求人工服务", "urgent")
    DemoOutbox(url).send("13800138000", otp_text(code, 5), conversation="web-1")
    assert main(["outbox", "13800138000"]) == 0
    out = capsys.readouterr().out
    assert code in out and "138****8000" in out and "13800138000" not in out
    assert main(["tickets"]) == 0
    out = capsys.readouterr().out
    assert "H000001" in out and "紧急" in out


def test_cli_lists_call_backs_with_the_number_to_dial_and_records_one_done(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'var' / 'bank.db'}"
    monkeypatch.setenv("BANK_DATABASE_URL", url)
    main(["init"])
    main(["callbacks"])
    assert "没有待回电" in capsys.readouterr().out
    with session_scope(url) as session:
        request_callback(session, "web-1", None, "13912345678", "回电请求；原因：客户要求人工服务", "normal")
        request_callback(session, "web-2", 1, "13800138000", "回电请求；疑似盗刷", "urgent")
    assert main(["callbacks"]) == 0
    out = capsys.readouterr().out
    assert out.index("13800138000") < out.index("13912345678")  # urgent first; the whole number to dial
    assert main(["callback-done", "H000001", "--agent", "王敏", "--note", "已回电说明还款方式"]) == 0
    assert "已关闭" in capsys.readouterr().out
    main(["callbacks"])
    out = capsys.readouterr().out
    assert "13912345678" not in out and "13800138000" in out
    assert main(["callback-done", "H000099", "--agent", "王敏"]) == 1
