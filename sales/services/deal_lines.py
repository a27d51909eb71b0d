"""Writes for a deal's product lines. While a deal has lines, its amount is their sum."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from customers.services import timeline_record

from ..models import Deal, DealProduct, Product

CENT = Decimal("0.01")


@transaction.atomic
def deal_line_add(
    *,
    deal: Deal,
    product: Product,
    quantity: Decimal,
    actor: User | None,
    unit_price: Decimal | None = None,
) -> DealProduct:
    """Add a product to the deal (at the product's price unless told otherwise) and recalculate the amount."""
    if quantity <= 0:
        raise ValidationError({"quantity": _("The quantity must be more than zero.")})
    if unit_price is None:
        if product.currency != deal.currency:
            raise ValidationError(
                {
                    "unit_price": _("The product is priced in %(product)s; enter a unit price in %(deal)s.")
                    % {"product": product.currency, "deal": deal.currency}
                }
            )
        unit_price = product.price
    if unit_price < 0:
        raise ValidationError({"unit_price": _("The unit price cannot be negative.")})
    line = DealProduct(deal=deal, product=product, quantity=quantity, unit_price=unit_price)
    line.full_clean(exclude=["deal", "product"])
    line.save()
    _amount_from_lines(deal)
    timeline_record(
        action="deal.product_added",
        actor=actor,
        customer=deal.customer,
        data={
            "deal": deal.pk,
            "title": deal.title,
            "line": str(line),
            "product": product.pk,
            "quantity": str(quantity),
            "unit_price": str(unit_price),
        },
    )
    return line


@transaction.atomic
def deal_line_remove(*, line: DealProduct, actor: User | None) -> Deal:
    deal = line.deal
    description, product_id = str(line), line.product_id
    line.delete()
    _amount_from_lines(deal)
    timeline_record(
        action="deal.product_removed",
        actor=actor,
        customer=deal.customer,
        data={"deal": deal.pk, "title": deal.title, "line": description, "product": product_id},
    )
    return deal


def _amount_from_lines(deal: Deal) -> None:
    total = sum((line.total for line in DealProduct.objects.filter(deal=deal)), Decimal("0.00"))
    total = total.quantize(CENT)
    try:
        Deal._meta.get_field("amount").clean(total, deal)
    except ValidationError as error:
        raise ValidationError({"quantity": error.messages}) from error
    deal.amount = total
    deal.save(update_fields=["amount", "updated_at"])
