"""Registrations imported by staff (interchange format), claimed through invite links."""
