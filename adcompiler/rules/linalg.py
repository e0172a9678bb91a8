"""Placeholder: rules arrive here."""
