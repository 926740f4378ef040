"""The organizations package's errors: one class per stable code."""

from app.core.errors import AppError, Conflict, Forbidden, NotFound, Unprocessable

# Who may reach an organization (permissions)


class OrganizationNotFound(NotFound):
    code = "organization_not_found"


class RoleForbidden(Forbidden):
    code = "role_forbidden"


class TwoFactorEnrollmentRequired(Forbidden):
    code = "mfa_enrollment_required"


class MembershipRequired(Forbidden):
    code = "membership_required"


class NotAPartner(Forbidden):
    """The organization is not flagged as partner (a partner-only route)."""

    code = "not_a_partner"


class PartnerStaffNeedsPartner(Conflict):
    """Designating partner staff (``acts_for_clients``) in an organization that is not a
    partner: the same code as ``NotAPartner``, answered 409 as a conflicting change."""

    code = "not_a_partner"


class PlatformStaffOnly(Forbidden):
    code = "platform_staff_only"


class SessionRequired(Forbidden):
    code = "session_required"


class ProductNotFound(NotFound):
    code = "product_not_found"


class ProductRightMissing(Forbidden):
    code = "product_right_missing"


# The organization itself


class FieldRequired(Unprocessable):
    code = "field_required"


class LogoTooLarge(Unprocessable):
    code = "logo_too_large"


class LogoTypeNotSupported(Unprocessable):
    code = "logo_type_not_supported"


class LogoNotFound(NotFound):
    code = "logo_not_found"


class BillingAddressNotFound(NotFound):
    code = "billing_address_not_found"


class AffiliatePartnerConflict(Conflict):
    code = "affiliate_partner_conflict"


# Members and invitations


class MemberNotFound(NotFound):
    code = "member_not_found"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"


class InvalidInvitation(AppError):
    """A member or partner invitation token that is unknown, expired or already used."""

    status = 400
    code = "invalid_or_expired_invitation"


class InvitationNotPending(Conflict):
    code = "invitation_not_pending"


class AlreadyMember(Conflict):
    code = "already_a_member"


class LastLegalRepresentative(Conflict):
    code = "last_legal_representative"


class InvitationForAnotherAddress(AppError):
    status = 403
    code = "invitation_for_another_address"


class NotAMember(Conflict):
    code = "not_a_member"


class HandoverToSelf(Conflict):
    code = "handover_to_self"


class TwoFactorNotEnabled(Conflict):
    code = "two_factor_not_enabled"


# Rights and teams


class GrantNotFound(NotFound):
    code = "grant_not_found"


class GrantConflict(Conflict):
    code = "grant_conflict"


class RightNotApplicable(Unprocessable):
    code = "right_not_applicable"


class TeamNotFound(NotFound):
    code = "team_not_found"


class TeamNameTaken(Conflict):
    code = "team_name_taken"


class TeamMemberNotFound(NotFound):
    code = "team_member_not_found"


# Products


class ProductAlreadyLocked(Conflict):
    code = "product_already_locked"


class ProductNotLocked(Conflict):
    code = "product_not_locked"


# Partners


class PartnerInvitationNotFound(NotFound):
    code = "partner_invitation_not_found"


class PartnershipNotFound(NotFound):
    code = "partnership_not_found"


class PartnershipExists(Conflict):
    code = "partnership_exists"


class PartnershipEnded(Conflict):
    code = "partnership_ended"


class BillingNeedsFullAccess(Unprocessable):
    code = "billing_needs_full_access"


class ProductNotInOrganization(Unprocessable):
    code = "product_not_in_organization"


class LimitedAccessNeedsProducts(Unprocessable):
    code = "limited_access_needs_products"


class PartnerIsClient(Conflict):
    code = "partner_is_client"


# Support access


class SupportAccessNotFound(NotFound):
    code = "support_access_not_found"


class SupportAccessEnded(Conflict):
    code = "support_access_ended"


# Blocked members, accounting, suite seats


class MemberBlocked(Forbidden):
    """The caller's membership is blocked: it reaches nothing in the organization until it is
    unblocked."""

    code = "member_blocked"


class MemberAlreadyBlocked(Conflict):
    code = "member_already_blocked"


class MemberNotBlocked(Conflict):
    code = "member_not_blocked"


class BlockingSelf(Conflict):
    code = "cannot_block_self"


class AccountingNeedsMember(Conflict):
    """The accounting right is for members who are neither administrators nor legal
    representatives (who handle billing anyway)."""

    code = "accounting_right_not_applicable"


class SeatHeld(Conflict):
    """The member holds a suite seat: it cannot leave until the seat is freed."""

    code = "suite_seat_held"


class NotASuite(Conflict):
    code = "product_has_no_seats"


class NoSeatLeft(Conflict):
    code = "no_seat_left"


class SeatAlreadyAssigned(Conflict):
    code = "seat_already_assigned"


class SeatNotFound(NotFound):
    code = "seat_not_found"
