"""The demo bank's domain model: the aggregate that wrote the demo store's BankAccount events.

Eventscope's demo store (Eventscope: Open Demo Store, or `eventscope demo`) holds events of
`bankapp.domainmodel:BankAccount`. Replay it through this class, Eventscope's Python runner applies
each stored event with the library's own `mutate`: the state after each step is this aggregate.
"""

from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class BankAccount(Aggregate):
    @event("Opened")
    def __init__(self, full_name: str, email_address: str):
        self.full_name = full_name
        self.email_address = email_address
        self.balance = Decimal("0.00")
        self.overdraft_limit = Decimal("0.00")
        self.is_closed = False

    @event("Credited")
    def credit(self, amount: Decimal, transaction_id: UUID) -> None:
        self.balance += amount

    @event("Debited")
    def debit(self, amount: Decimal, transaction_id: UUID) -> None:
        # An @event method's body runs again on every replay: the check that a debit is allowed
        # belongs in the command that decides to record it, not here.
        self.balance -= amount

    @event("OverdraftLimitSet")
    def set_overdraft_limit(self, overdraft_limit: Decimal) -> None:
        self.overdraft_limit = overdraft_limit

    @event("Closed")
    def close(self) -> None:
        self.is_closed = True
