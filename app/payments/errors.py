"""The payments package's errors."""

from typing import Any

from app.core.errors import AppError, Unprocessable


class PaymentDeclined(AppError):
    """The provider refused the card. ``failure_code`` says why (``card_declined``,
    ``insufficient_funds``, …); ``provider_reference`` names the refused attempt."""

    status = 402
    code = "payment_declined"

    def __init__(
        self,
        detail: str | None = None,
        *,
        failure_code: str | None = None,
        provider_reference: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detail, **kwargs)
        self.failure_code = failure_code
        self.provider_reference = provider_reference


class InvalidCard(Unprocessable):
    code = "invalid_card"
