"""The domain: matching, suggestions, quotas and placement, calls, tickets, reports. Never imports Textual."""
