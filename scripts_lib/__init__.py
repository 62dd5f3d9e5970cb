"""Call scripts as data: load, validate, render, lint. Imports nothing else of ours and touches no database."""
