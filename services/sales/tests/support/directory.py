"""A small pincode directory and customer addresses for the sales unit tests."""

from __future__ import annotations

from o2c.sales.domain.customer import Address
from o2c.sales.domain.geography import GeoPoint, Pincode, StateCode
from o2c.sales.domain.gstin import Gstin


class FakeDirectory:
    """Pincode → state codes, as the India Post directory would answer (including a two-state pincode)."""

    def __init__(self) -> None:
        self.states = {
            "400001": {"27"},  # Mumbai
            "411001": {"27"},  # Pune
            "390001": {"24"},  # Vadodara
            "560001": {"29"},  # Bengaluru
            "600001": {"33"},  # Chennai
            "605110": {"34", "33"},  # Puducherry and Tamil Nadu
            "160001": {"04"},  # Chandigarh
            "160062": {"03"},  # Mohali, Punjab
            "396210": {"26"},  # Daman
        }

    def state_codes_of(self, pincode: Pincode) -> frozenset[str]:
        return frozenset(self.states.get(pincode.value, set()))

    def location_of(self, pincode: Pincode) -> GeoPoint | None:
        return GeoPoint(19.0, 72.8) if pincode.value in self.states else None


def address(
    address_id: str = "mumbai",
    state: str = "27",
    pincode: str = "400001",
    gstin: str | None = "27AAACR5055K1Z7",
    *,
    billing: bool = True,
    shipping: bool = True,
    third_party: bool = False,
) -> Address:
    return Address(
        address_id=address_id,
        name="Ratan Traders",
        line1="12 Market Road",
        place="City",
        state_code=StateCode(state),
        pincode=Pincode(pincode),
        gstin=Gstin.parse(gstin) if gstin else None,
        is_billing=billing,
        is_shipping=shipping,
        third_party=third_party,
    )
