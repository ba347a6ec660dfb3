"""Back-office wiring for the records app (viewsets live in viewsets.py)."""
