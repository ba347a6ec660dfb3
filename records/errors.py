class BusinessRuleError(Exception):
    """A broken business rule, with a message a registrar understands."""
