"""`telesales import` and `telesales export` (in progress: being written in this session)."""
