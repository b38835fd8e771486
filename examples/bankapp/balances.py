"""A Python projection of the demo store: each account's balance and an invariant that none goes
below zero, the same as examples/bank-balances.js but over the library's own domain events
(exact Decimals, UUIDs). Replay it with Eventscope: Replay the Demo with Python, or

    eventscope replay "$(eventscope demo)" --python --python-path examples/bankapp \
        --projection examples/bankapp/balances.py --until-invariant-fails
"""

from decimal import Decimal

from eventscope import when

name = "Account balances"


def init():
    return {"balances": {}, "names": {}}


@when("BankAccount.Opened")
def opened(state, event):
    state["balances"][str(event.originator_id)] = Decimal("0.00")
    state["names"][str(event.originator_id)] = event.full_name


@when("Credited")
def credited(state, event):
    state["balances"][str(event.originator_id)] += event.amount


@when("Debited")
def debited(state, event):
    state["balances"][str(event.originator_id)] -= event.amount


def invariant(state):
    for account, balance in state["balances"].items():
        if balance < 0:
            return "%s's balance is %s" % (state["names"][account], balance)
    return True
