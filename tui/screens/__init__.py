"""One screen per job; each declares the keys it owns so the footer and F1 help can show them."""
