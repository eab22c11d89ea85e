"""Deterministic demo data (same rows for the same seeding day; dates are relative to it).

| customer | phone | products |
|---|---|---|
| 张伟 | 13800138000 | 储蓄卡 尾号1234 余额 ¥52,340.50（日转账限额 ¥50,000）；信用卡 尾号5678 额度 ¥50,000，本期账单 ¥8,650.00（最低 ¥865.00，10天后到期）；白条 额度 ¥20,000，本期账单 ¥3,120.80（最低 ¥312.08，8天后到期）；金条 借款 ¥30,000 剩余 ¥22,500.00（15天后还 ¥2,702.50）；收款人 李娜、王强 |
| 李娜 | 13900139000 | 储蓄卡 尾号5566 已冻结（挂失）余额 ¥1,280.00；储蓄卡 尾号8899 余额 ¥8,900.00（日限额 ¥20,000）；信用卡 尾号7788 额度 ¥10,000，账单 ¥2,400.00 已逾期5天；收款人 张伟 |
| 王强 | 13700137000 | 储蓄卡 尾号3344 余额 ¥260,000.00（日限额 ¥100,000）；无信用产品；收款人 张伟 |

Transactions cover the last ~90 days (工资, 房租, 超市, 外卖, 转账, 还款, card purchases).
"""  # noqa: E501 (a Markdown table: its rows cannot wrap)

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from actions.bank.clock import today as bank_today
from actions.bank.models import (
    Account,
    Bill,
    CreditLine,
    Customer,
    Loan,
    Payee,
    Transaction,
)

D = Decimal


def seed_demo_data(session: Session, today: date | None = None) -> None:
    day = today or bank_today()
    _seed_zhang_wei(session, day)
    _seed_li_na(session, day)
    _seed_wang_qiang(session, day)
    session.flush()


def _at(day: date, days_ago: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day - timedelta(days=days_ago), time(hour, minute))


def _postings(owner: dict, day: date, rows) -> list[Transaction]:
    return [
        Transaction(
            **owner, posted_at=_at(day, ago, hour), amount=D(amount), description=description, counterparty=counterparty
        )
        for ago, hour, amount, description, counterparty in rows
    ]


def _seed_zhang_wei(session: Session, day: date) -> None:
    customer = Customer(
        name="张伟", phone="13800138000", id_number_masked="110105********2316", created_at=_at(day, 900, 10)
    )
    savings = Account(
        customer=customer, card_number="6217000010001234", balance=D("52340.50"), daily_transfer_limit=D("50000.00")
    )
    card = CreditLine(
        customer=customer,
        product="credit_card",
        card_number="6225880010005678",
        credit_limit=D("50000.00"),
        available=D("40114.40"),
        opened_on=day - timedelta(days=700),
    )
    baitiao = CreditLine(
        customer=customer,
        product="baitiao",
        credit_limit=D("20000.00"),
        available=D("16879.20"),
        opened_on=day - timedelta(days=400),
    )
    session.add_all([customer, savings, card, baitiao])
    session.add_all(
        [
            Bill(
                credit_line=card,
                statement_date=day - timedelta(days=40),
                due_date=day - timedelta(days=20),
                amount_due=D("6420.30"),
                minimum_due=D("642.03"),
                paid_amount=D("6420.30"),
                status="paid",
            ),
            Bill(
                credit_line=card,
                statement_date=day - timedelta(days=10),
                due_date=day + timedelta(days=10),
                amount_due=D("8650.00"),
                minimum_due=D("865.00"),
                paid_amount=D("0.00"),
                status="unpaid",
            ),
            Bill(
                credit_line=baitiao,
                statement_date=day - timedelta(days=12),
                due_date=day + timedelta(days=8),
                amount_due=D("3120.80"),
                minimum_due=D("312.08"),
                paid_amount=D("0.00"),
                status="unpaid",
            ),
            Loan(
                customer=customer,
                principal=D("30000.00"),
                outstanding=D("22500.00"),
                term_months=12,
                annual_rate=D("0.108000"),
                started_on=day - timedelta(days=105),
                next_due_date=day + timedelta(days=15),
                next_due_amount=D("2702.50"),
            ),
            Payee(customer=customer, name="李娜", bank="招商银行", account_tail="6688"),
            Payee(customer=customer, name="王强", bank="中国工商银行", account_tail="9012"),
        ]
    )
    session.flush()
    session.add_all(
        _postings(
            {"account_id": savings.id},
            day,
            [
                (85, 9, "18000.00", "工资", "北京星辰科技有限公司"),
                (84, 20, "-4500.00", "房租", "房东陈先生"),
                (80, 19, "-326.80", "超市购物", "永辉超市"),
                (78, 12, "-45.00", "外卖", "美团外卖"),
                (75, 10, "-2770.00", "金条还款", "金条"),
                (62, 18, "-215.40", "超市购物", "盒马鲜生"),
                (55, 9, "18000.00", "工资", "北京星辰科技有限公司"),
                (54, 20, "-4500.00", "房租", "房东陈先生"),
                (47, 12, "-38.50", "外卖", "饿了么"),
                (45, 10, "-2747.50", "金条还款", "金条"),
                (40, 15, "-2000.00", "转账", "李娜"),
                (33, 19, "-458.90", "超市购物", "永辉超市"),
                (25, 9, "18000.00", "工资", "北京星辰科技有限公司"),
                (24, 20, "-4500.00", "房租", "房东陈先生"),
                (22, 11, "-6420.30", "信用卡还款", "信用卡尾号5678"),
                (15, 10, "-2725.00", "金条还款", "金条"),
                (15, 12, "-62.30", "外卖", "美团外卖"),
                (12, 16, "-800.00", "转账", "王强"),
                (6, 18, "-189.50", "超市购物", "盒马鲜生"),
                (2, 12, "-29.90", "外卖", "美团外卖"),
            ],
        )
    )
    session.add_all(
        _postings(
            {"credit_line_id": card.id},
            day,
            [
                (60, 14, "-3999.00", "网购", "苏宁易购"),
                (52, 19, "-421.30", "餐饮", "海底捞"),
                (45, 8, "-2000.00", "加油", "中国石化"),
                (28, 8, "-350.00", "加油", "中国石化"),
                (22, 11, "6420.30", "还款", "储蓄卡尾号1234"),
                (18, 19, "-486.00", "餐饮", "全聚德"),
                (14, 21, "-6515.00", "机票", "中国国际航空"),
                (11, 13, "-1299.00", "网购", "京东商城"),
                (7, 9, "-45.60", "咖啡", "星巴克"),
                (4, 16, "-890.00", "服装", "优衣库"),
                (1, 22, "-300.00", "出行", "滴滴出行"),
            ],
        )
    )
    session.add_all(
        _postings(
            {"credit_line_id": baitiao.id},
            day,
            [
                (20, 20, "-2899.00", "网购 手机", "京东商城"),
                (16, 10, "-221.80", "超市购物", "京东超市"),
            ],
        )
    )


def _seed_li_na(session: Session, day: date) -> None:
    customer = Customer(
        name="李娜", phone="13900139000", id_number_masked="310104********4521", created_at=_at(day, 600, 15)
    )
    lost = Account(
        customer=customer,
        card_number="6217000020005566",
        balance=D("1280.00"),
        daily_transfer_limit=D("20000.00"),
        status="frozen",
        frozen_reason="客户挂失",
        frozen_at=_at(day, 3, 21),
    )
    main = Account(
        customer=customer, card_number="6217000020008899", balance=D("8900.00"), daily_transfer_limit=D("20000.00")
    )
    card = CreditLine(
        customer=customer,
        product="credit_card",
        card_number="6225880020007788",
        credit_limit=D("10000.00"),
        available=D("7600.00"),
        opened_on=day - timedelta(days=500),
    )
    session.add_all([customer, lost, main, card])
    session.add_all(
        [
            Bill(
                credit_line=card,
                statement_date=day - timedelta(days=35),
                due_date=day - timedelta(days=5),
                amount_due=D("2400.00"),
                minimum_due=D("240.00"),
                paid_amount=D("0.00"),
                status="overdue",
            ),
            Payee(customer=customer, name="张伟", bank="中国建设银行", account_tail="1234"),
        ]
    )
    session.flush()
    session.add_all(
        _postings(
            {"account_id": main.id},
            day,
            [
                (60, 9, "9500.00", "工资", "上海云帆文化传媒有限公司"),
                (59, 20, "-2800.00", "房租", "房东刘女士"),
                (44, 12, "-56.00", "外卖", "饿了么"),
                (30, 9, "9500.00", "工资", "上海云帆文化传媒有限公司"),
                (29, 20, "-2800.00", "房租", "房东刘女士"),
                (9, 18, "-132.40", "超市购物", "家乐福"),
            ],
        )
    )
    session.add_all(
        _postings(
            {"account_id": lost.id},
            day,
            [
                (20, 15, "-88.00", "外卖", "美团外卖"),
            ],
        )
    )
    session.add_all(
        _postings(
            {"credit_line_id": card.id},
            day,
            [
                (50, 15, "-1650.00", "服装", "ZARA"),
                (41, 19, "-750.00", "餐饮", "西贝莜面村"),
            ],
        )
    )


def _seed_wang_qiang(session: Session, day: date) -> None:
    customer = Customer(
        name="王强", phone="13700137000", id_number_masked="440305********7789", created_at=_at(day, 300, 9)
    )
    savings = Account(
        customer=customer, card_number="6217000030003344", balance=D("260000.00"), daily_transfer_limit=D("100000.00")
    )
    session.add_all(
        [
            customer,
            savings,
            Payee(customer=customer, name="张伟", bank="中国建设银行", account_tail="1234"),
        ]
    )
    session.flush()
    session.add_all(
        _postings(
            {"account_id": savings.id},
            day,
            [
                (70, 10, "120000.00", "经营收入", "深圳前海贸易有限公司"),
                (50, 14, "-35000.00", "货款", "东莞华盛电子厂"),
                (12, 16, "800.00", "转账", "张伟"),
                (3, 11, "-1560.00", "水电燃气", "国家电网"),
            ],
        )
    )
