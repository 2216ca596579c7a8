"""Named errors of the contracts; the command line prints them as one line and exits 2."""

from common.errors import HealthlakeError


class ContractError(HealthlakeError):
    """Base class: a contract the user can fix (the message names the file and the path)."""


class ContractInvalidError(ContractError):
    """A contract breaks the ODCS schema or one of its own references."""


class ContractDriftError(ContractError):
    """A contract and the dbt model yml files disagree."""


class BreakingChangeError(ContractError):
    """A change breaks consumers, and the contract's major version was not raised."""


class PolicyInvalidError(ContractError):
    """The policies file breaks its schema, or contradicts the contracts."""


class UnknownRoleError(ContractError):
    """A role that the policies file does not declare."""


class PublishError(ContractError):
    """A role's file cannot be published (no lakehouse, a column missing from it)."""
