"""Binding advice and each committed organisation's follow-through on its actions."""
