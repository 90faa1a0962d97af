"""Pure-Python text handling (no Django imports): paragraphs, hashing, normalisation."""
