"""The errors of the views package: each says which view, where in it, and which rule it broke."""

from common.errors import HealthlakeError


class ViewError(HealthlakeError):
    """A ViewDefinition cannot be compiled or run; nothing was written."""


class FhirPathSyntaxError(ViewError):
    """A FHIRPath expression does not parse (the message names the column)."""


class ViewDefinitionError(ViewError):
    """A ViewDefinition breaks a rule of SQL on FHIR v2 (the message names the view and path)."""


class ViewInputError(ViewError):
    """The input a view was asked to run over cannot be read."""
