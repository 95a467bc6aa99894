"""Steps that span several domains, each a short function that reads as a list of steps."""
