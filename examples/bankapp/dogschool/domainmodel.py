"""The demo's dog school: `dogschool.domainmodel:Dog`, whose WeightRecorded event is at class version 2."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Dog(Aggregate):
    @event("Registered")
    def __init__(self, name: str, owner_id: UUID, born_on: datetime):
        self.name = name
        self.owner_id = owner_id
        self.born_on = born_on
        self.tricks = []
        self.weight = None

    @event("TrickAdded")
    def add_trick(self, trick: str) -> None:
        self.tricks.append(trick)

    class WeightRecorded(Aggregate.Event):
        class_version = 2
        weight: Decimal
        unit: str

        @staticmethod
        def upcast_v1_v2(state):
            # Version 1 recorded kilograms only.
            state["unit"] = "kg"

        def apply(self, dog) -> None:
            dog.weight = "%s %s" % (self.weight, self.unit)

    def record_weight(self, weight: Decimal, unit: str) -> None:
        self.trigger_event(self.WeightRecorded, weight=weight, unit=unit)
