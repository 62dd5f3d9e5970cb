"""Persistence: tables, engine, migrations, bulk import and export.

This package imports nothing else of ours, so that the schema can be reasoned about (and migrated) alone.
"""
