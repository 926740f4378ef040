"""The accounts domain's enums, which other domains may import."""

from enum import StrEnum


class Language(StrEnum):
    fr = "fr"
    en = "en"
    de = "de"
    it = "it"
    es = "es"


class TokenPurpose(StrEnum):
    confirm_email = "confirm_email"
    password_reset = "password_reset"
    password_reset_sms = "password_reset_sms"
    unlock = "unlock"
    recovery_email = "recovery_email"
    login_email_change = "login_email_change"
    login_email_undo = "login_email_undo"
    recovery_phone = "recovery_phone"
    phone_confirmation = "phone_confirmation"
    account_activation = "account_activation"
